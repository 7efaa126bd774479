// The Django admin's own JavaScript wording that Django's Persian catalogue lacks (Django 6.1), marked here
// for `make messages` and translated in locale/fa/LC_MESSAGES/djangojs.po, which the admin's jsi18n view
// reads after Django's (LOCALE_PATHS). Never loaded by any page; binaboard/admin_wording.py does the same
// for the server's strings.
/* global gettext, ngettext, pgettext */
// SelectFilter2.js: a user's and a group's permissions and groups.
gettext('Choose %s by selecting them and then select the "Choose" arrow button.');
gettext('Choose all %s');
gettext('Choose selected %s');
gettext('Remove selected %s');
gettext('Remove %s by selecting them and then select the "Remove" arrow button.');
gettext('Type into this box to filter down the list of selected %s.');
gettext('(click to clear)');
gettext('Remove all %s');
ngettext('%s selected option not visible', '%s selected options not visible', 1);
// actions.js
gettext('You have selected an action, and you haven’t made any changes on individual fields. You’re probably looking for the Run button rather than the Save button.');
// DateTimeShortcuts.js and calendar.js: the date and time pickers.
gettext('server');
ngettext('Note: Enter times in the %(timezone)s timezone. (You are %(offset)s hour ahead.)', 'Note: Enter times in the %(timezone)s timezone. (You are %(offset)s hours ahead.)', 1);
ngettext('Note: Enter times in the %(timezone)s timezone. (You are %(offset)s hour behind.)', 'Note: Enter times in the %(timezone)s timezone. (You are %(offset)s hours behind.)', 1);
gettext('Today (%(date)s)');
gettext('Yesterday (%(date)s)');
gettext('Tomorrow (%(date)s)');
gettext('Previous (%(month)s %(year)s)');
gettext('Next (%(month)s %(year)s)');
gettext('Sunday');
gettext('Monday');
gettext('Tuesday');
gettext('Wednesday');
gettext('Thursday');
gettext('Friday');
gettext('Saturday');
pgettext('abbrev. day Sunday', 'Sun');
pgettext('abbrev. day Monday', 'Mon');
pgettext('abbrev. day Tuesday', 'Tue');
pgettext('abbrev. day Wednesday', 'Wed');
pgettext('abbrev. day Thursday', 'Thur');
pgettext('abbrev. day Friday', 'Fri');
pgettext('abbrev. day Saturday', 'Sat');
gettext('%(month)s %(day)s, %(year)s');
gettext('%s (today, current selection)');
gettext('%s (today)');
gettext('%s (current selection)');

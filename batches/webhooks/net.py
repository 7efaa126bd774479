"""Posting to a webhook's URL without letting it reach inside the network (SSRF).

The host is resolved once; every address it resolves to must be public (not loopback, private,
link-local, multicast, reserved, unspecified, shared or documentation space, in IPv4 or IPv6,
including IPv4 addresses carried in IPv6: mapped, 6to4, Teredo, NAT64). The connection is then made
to that very address (the Host header and TLS name stay the URL's host), so a DNS answer that changes
between the check and the connection (rebinding) cannot move the request elsewhere. Redirects are
never followed: a 3xx answer is a failed delivery. Hosts named in settings.WEBHOOK_ALLOWED_HOSTS skip
the address check (an operator's intranet receiver).
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
import time
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as _

NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Read at most this much of an answer: the log keeps the status, not the body.
MAX_ANSWER = 4096
# Characters a path or query keeps as they are (reserved ones, and % of what is already percent-encoded).
URL_SAFE = "!#$%&'()*+,/:;=?@[]~"


class Refused(Exception):
    """A URL the guard will not call. The reason is kept untranslated with its values (the delivery log
    stores it so, and shows it in the reader's language); `message` says it in the active language."""

    def __init__(self, message_id: str, **params):
        self.message_id = message_id
        self.params = params
        super().__init__(message_id % params if params else message_id)

    @property
    def message(self) -> str:
        return render_message(self.message_id, self.params)


def render_message(message_id: str, params: dict) -> str:
    """A message kept untranslated, in the active language (a `reason` value is itself a message)."""
    params = {name: gettext(value) if name == "reason" else value for name, value in params.items()}
    return gettext(message_id) % params if params else gettext(message_id)


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as in the URL, without brackets
    port: int
    path: str  # path and query
    address: str  # the IP address connected to
    family: int = socket.AF_INET
    sockaddr: tuple = ()


@dataclass(frozen=True)
class Answer:
    status: int
    seconds: float
    location: str = ""


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, Teredo client, NAT64), if any."""
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def forbidden_reason(text: str) -> str:
    """Why this IP address may not be called, untranslated ('' when it may)."""
    try:
        address = ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return _("not an IP address")
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:  # the IPv4 address it carries decides (the IPv6 ranges themselves are "reserved")
            return forbidden_reason(str(inner))
    if address.is_loopback:
        return _("a loopback address")
    if address.is_link_local:
        return _("a link-local address")
    if address.is_multicast:
        return _("a multicast address")
    if address.is_unspecified:
        return _("an unspecified address")
    if address.is_private:
        return _("a private address")
    if address.is_reserved or not address.is_global:
        return _("a reserved address")
    return ""


def _ascii_host(host: str) -> str:
    host = host.lower().strip("[]")
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def is_allowed_host(host: str) -> bool:
    # The URL's host is compared in its ASCII form: an operator may list an international name either way.
    return _ascii_host(host) in {_ascii_host(allowed) for allowed in settings.WEBHOOK_ALLOWED_HOSTS}


def split_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path) of a URL a webhook may have; Refused for anything else."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise Refused(_("This is not a valid URL.")) from None
    if parts.scheme not in {"http", "https"}:
        raise Refused(_("Use an http:// or https:// URL."))
    if parts.username or parts.password:
        raise Refused(_("Put no user name or password in the URL; the signature authenticates BinaBoard."))
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise Refused(_("The URL has no host."))
    if not host.isascii() or ".." in host:
        # An international name is looked up, sent (Host) and checked (TLS) by its ASCII form; a name DNS
        # cannot have (an empty or too long label) is refused here rather than crash the post.
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise Refused(_("This is not a valid URL.")) from None
    elif any(len(label) > 63 for label in host.split(".")) and ":" not in host:
        raise Refused(_("This is not a valid URL."))
    # The request line is ASCII: other characters of the path and query travel percent-encoded.
    path = quote(parts.path or "/", safe=URL_SAFE) + (f"?{quote(parts.query, safe=URL_SAFE)}" if parts.query else "")
    return parts.scheme, host, port or (443 if parts.scheme == "https" else 80), path


def check_url_shape(url: str) -> None:
    """What can be told without DNS (when a webhook is saved): the scheme, and no forbidden literal address."""
    if any(unicodedata.category(char)[0] in "CZ" for char in url.strip()):
        raise Refused(_("This is not a valid URL."))  # control, format (bidi) or space characters
    _scheme, host, _port, _path = split_url(url)
    if is_allowed_host(host):
        return
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        raise Refused(_("This URL leads to this server (localhost); webhooks go to other machines."))
    try:
        ipaddress.ip_address(host)
    except ValueError:
        try:  # the other IPv4 forms the resolver takes: 2130706433, 0177.0.0.1, 0x7f.1, 127.1
            host = socket.inet_ntoa(socket.inet_aton(host))
        except (OSError, ValueError):
            return
    reason = forbidden_reason(host)
    if reason:
        raise Refused(_("This URL points at %(reason)s, which webhooks may not reach."), reason=reason)


def resolve(url: str) -> Target:
    """Check the URL and its host's addresses now; the address to connect to."""
    scheme, host, port, path = split_url(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise Refused(_("The host %(host)s could not be resolved."), host=host) from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not infos:
        raise Refused(_("The host %(host)s could not be resolved."), host=host)
    if not is_allowed_host(host):
        for address in addresses:
            reason = forbidden_reason(address)
            if reason:
                raise Refused(
                    _("%(host)s resolves to %(address)s, %(reason)s, which webhooks may not reach."),
                    host=host,
                    address=address,
                    reason=reason,
                )
    family, _type, _proto, _name, sockaddr = infos[0]
    return Target(scheme, host, port, path, addresses[0], family, sockaddr)


def _connect(target: Target, timeout: float) -> socket.socket:
    """A socket connected to the checked address itself: no second name lookup (create_connection makes one)."""
    sock = socket.socket(target.family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(target.sockaddr)
    except BaseException:
        sock.close()
        raise
    return sock


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.target = target

    def connect(self):
        self.sock = _connect(self.target, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout, context=ssl.create_default_context())
        self.target = target

    def connect(self):
        sock = _connect(self.target, self.timeout)
        # The certificate is checked against the URL's host name, not the address.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float | None = None) -> Answer:
    """POST the body to the URL through the guard; the answer's status (redirects not followed).

    `timeout` bounds the whole exchange, not only each read: a receiver that trickles its answer a
    byte at a time is cut off (its socket shut) when the time is up, and TimeoutError is raised.
    Raises Refused (the guard said no) or OSError / http.client.HTTPException (network, timeout).
    """
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS if timeout is None else timeout
    target = resolve(url)
    kind = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = kind(target, timeout)
    started = time.perf_counter()
    cut_off = threading.Event()

    def cut() -> None:
        cut_off.set()
        sock = connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    watchdog = threading.Timer(timeout, cut)
    watchdog.daemon = True
    watchdog.start()
    try:
        answer = _exchange(connection, target, body, headers, started, cut_off)
        if cut_off.is_set():  # an answer cut short may still parse: it does not count
            raise TimeoutError(f"no complete answer within {timeout} s")
        return answer
    except (OSError, http.client.HTTPException):
        if cut_off.is_set():
            raise TimeoutError(f"no complete answer within {timeout} s") from None
        raise
    finally:
        watchdog.cancel()
        connection.close()


def _exchange(connection, target: Target, body: bytes, headers: dict[str, str], started: float, cut_off) -> Answer:
    default_port = 443 if target.scheme == "https" else 80
    host_header = target.host if ":" not in target.host else f"[{target.host}]"
    if target.port != default_port:
        host_header = f"{host_header}:{target.port}"
    connection.putrequest("POST", target.path, skip_host=True, skip_accept_encoding=True)
    for name, value in {**headers, "Host": host_header, "Content-Length": str(len(body))}.items():
        connection.putheader(name, value)
    connection.endheaders(body)
    if cut_off.is_set():  # the time ran out while connecting, before the watchdog had a socket to shut
        raise TimeoutError("no answer in time")
    response = connection.getresponse()
    response.read(MAX_ANSWER)
    return Answer(response.status, time.perf_counter() - started, response.getheader("Location") or "")

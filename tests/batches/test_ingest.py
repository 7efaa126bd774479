"""The ingest pipeline: each kind of bad input gets its reason, good files are kept, nothing refused is stored."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.storage import FileSystemStorage, default_storage
from PIL import Image as PILImage

from batches import workflow
from batches.ingest import pipeline
from batches.ingest.check import Task, check, read_at_most
from batches.ingest.limits import Limits
from batches.ingest.pipeline import Source, ingest
from batches.models import Batch, Image
from batches.workflow import WorkflowError
from tests.batches import ingest_samples as samples
from tests.batches.ingest_samples import stored_files


def run(actor, project, *pairs, **kwargs):
    return ingest(actor=actor, project=project, sources=[Source.from_bytes(n, d) for n, d in pairs], **kwargs)


def reasons(report) -> dict[str, str]:
    return {outcome.name: outcome.reason for outcome in report.refused}


def stored_names_of(batch) -> list[str]:
    return sorted(name for image in batch.images.all() for name in (image.file.name, image.thumbnail.name))


def open_stored(name: str) -> PILImage.Image:
    with default_storage.open(name, "rb") as handle:
        im = PILImage.open(io.BytesIO(handle.read()))
        im.load()
        return im


BAD_FILES = [
    ("empty.jpg", b"", "empty file"),
    ("drawing.svg", samples.SVG_WITH_SCRIPT, "SVG drawings are not accepted (they can carry scripts)"),
    ("disguised.png", samples.SVG_WITH_SCRIPT, "SVG drawings are not accepted"),
    ("page.html", samples.HTML_PAGE, "not an image: this is an HTML page"),
    ("manual.pdf", samples.PDF_DOCUMENT, "not an image: PDF documents are not accepted"),
    ("logo.eps", samples.EPS_DOCUMENT, "not an image: PostScript/EPS files are not accepted"),
    ("bomb.png", samples.bomb_png(), "image too large: 50000×50000 (limit 50 megapixels)"),
    ("flat.png", samples.zero_sized_png(), "zero-sized image (0×48)"),
    ("cut.jpg", samples.truncated_jpeg(), "corrupt or truncated image: it cannot be decoded"),
    ("cut.png", samples.png(300, 200)[:400], "corrupt or truncated image: it cannot be decoded"),
    ("noise.jpg", bytes(range(256)) * 8, "not an image (accepted: JPEG, PNG, WebP, BMP, TIFF or GIF)"),
    ("phone.heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "HEIC images are not accepted"),
    ("report.docx", samples.zip_archive([("word/document.xml", b"<w/>")]), "zip-based file"),
    ("photos.tar.gz", b"\x1f\x8b\x08\x00" + b"\x00" * 40, "only .zip archives are unpacked"),
]


def test_each_kind_of_bad_file_gets_its_reason_and_the_good_ones_of_the_same_upload_are_kept(manager, project):
    good = [("good_1.jpg", samples.jpeg()), ("good_2.png", samples.png())]
    bad = [(name, data) for name, data, _ in BAD_FILES]
    report = run(manager, project, good[0], *bad, good[1], name="Mixed")

    for name, _, reason in BAD_FILES:
        assert reason in reasons(report)[name], name
    batch = report.batch
    assert batch.name == "Mixed" and batch.image_count == 2
    assert [o.name for o in report.kept] == ["good_1.jpg", "good_2.png"]
    # The report keeps the order the files came in.
    assert [o.name for o in report.outcomes] == ["good_1.jpg", *[n for n, _ in bad], "good_2.png"]
    assert stored_files() == stored_names_of(batch)


def test_a_decompression_bomb_is_refused_from_its_header_without_decoding_it(manager, project, monkeypatch):
    def no_decoding(self, *args, **kwargs):
        raise AssertionError("the bomb was decoded")

    monkeypatch.setattr(PILImage.Image, "load", no_decoding)
    monkeypatch.setattr("PIL.ImageFile.ImageFile.load", no_decoding)
    result = check(Task(0, "bomb.png", data=samples.bomb_png()), Limits())
    assert result.reason == "image too large: 50000×50000 (limit 50 megapixels)"


def test_the_pixel_limit_comes_from_settings(manager, project, settings):
    settings.UPLOAD_MAX_PIXELS = 2_000_000
    report = run(manager, project, ("big.jpg", samples.jpeg(2000, 1500)), ("ok.jpg", samples.jpeg(1000, 1000)))
    assert reasons(report) == {"big.jpg": "image too large: 2000×1500 (limit 2 megapixels)"}
    assert report.batch.image_count == 1


def test_a_file_over_the_size_limit_is_refused_without_being_read_whole(manager, project, settings):
    settings.UPLOAD_MAX_FILE_BYTES = 10_000
    report = run(manager, project, ("big.jpg", samples.jpeg(1000, 800)), ("small.jpg", samples.jpeg()))
    assert reasons(report) == {"big.jpg": "file too large: over 9.8 KB"}
    assert report.batch.image_count == 1


def test_a_capped_read_takes_a_piece_at_a_time_and_never_more_than_the_cap(monkeypatch):
    monkeypatch.setattr("batches.ingest.check.READ_PIECE", 3)
    asked = []

    class Handle(io.BytesIO):
        def read(self, size=-1):
            asked.append(size)
            return super().read(size)

    assert read_at_most(Handle(b"0123456789"), 8) == b"01234567"
    assert asked == [3, 3, 2]
    assert read_at_most(Handle(b"0123"), 8) == b"0123"
    assert read_at_most(Handle(b""), 8) == b""


@pytest.mark.parametrize(
    ("name", "data", "ext", "note"),
    [
        ("a.jpg", samples.jpeg(), "jpg", ""),
        ("a.png", samples.png(), "png", ""),
        ("a.webp", samples.webp(), "webp", ""),
        ("a.bmp", samples.bmp(), "bmp", ""),
        ("a.tif", samples.tiff(), "png", "stored as PNG (was TIFF)"),
        ("a.gif", samples.animated_gif(), "png", "first frame only; stored as PNG (was GIF)"),
    ],
)
def test_every_accepted_format_is_kept_with_a_thumbnail(manager, project, name, data, ext, note):
    report = run(manager, project, (name, data))
    image = report.batch.images.get()
    assert image.file.name.endswith(f".{ext}")
    assert report.kept[0].note == note
    thumb = open_stored(image.thumbnail.name)
    assert thumb.format == "JPEG" and max(thumb.size) <= 256
    assert open_stored(image.file.name).size == (image.width, image.height)


def test_the_format_is_decided_by_the_bytes_not_the_name(manager, project):
    report = run(manager, project, ("really_a_png.jpg", samples.png()), ("really_a_jpeg.gif", samples.jpeg()))
    names = {image.original_name: image.file.name for image in report.batch.images.all()}
    assert names["really_a_png.jpg"].endswith(".png")
    assert names["really_a_jpeg.gif"].endswith(".jpg")


def test_a_gif_keeps_only_its_first_frame(manager, project):
    image = run(manager, project, ("anim.gif", samples.animated_gif())).batch.images.get()
    stored = open_stored(image.file.name)
    assert getattr(stored, "n_frames", 1) == 1
    assert stored.convert("RGB").getpixel((5, 5)) == (255, 0, 0)


def test_an_exif_rotated_photo_is_stored_upright_with_upright_size_and_thumbnail(manager, project):
    report = run(manager, project, ("rotated.jpg", samples.rotated_jpeg(6)))
    image = report.batch.images.get()
    assert (image.width, image.height) == (40, 60)
    assert report.kept[0].note == "turned upright (EXIF orientation 6)"

    stored = open_stored(image.file.name)
    assert stored.size == (40, 60)
    assert stored.getexif().get(0x0112, 1) == 1  # nobody turns it again
    top, bottom = stored.getpixel((20, 10)), stored.getpixel((20, 50))
    assert top[0] > 200 and top[2] < 60  # red on top
    assert bottom[2] > 200 and bottom[0] < 60  # blue below

    thumb = open_stored(image.thumbnail.name)
    assert thumb.width < thumb.height
    assert thumb.getpixel((thumb.width // 2, 2))[0] > 200


@pytest.mark.parametrize("orientation", [2, 3, 4, 5, 7, 8])
def test_every_exif_orientation_gives_an_upright_size(manager, project, orientation):
    image = run(manager, project, ("r.jpg", samples.rotated_jpeg(orientation))).batch.images.get()
    assert (image.width, image.height) == ((40, 60) if orientation >= 5 else (60, 40))


def test_unusual_colour_modes_still_get_a_plain_rgb_thumbnail(manager, project):
    cmyk = samples.encode(samples.picture(50, 40).convert("CMYK"), "JPEG")
    deep = samples.encode(PILImage.linear_gradient("L").convert("I;16").resize((50, 40)), "PNG")
    clear = PILImage.new("RGBA", (50, 40), (0, 0, 0, 0))
    clear.paste((0, 128, 0, 255), (0, 0, 25, 40))
    report = run(manager, project, ("cmyk.jpg", cmyk), ("deep.png", deep), ("alpha.png", samples.encode(clear, "PNG")))
    assert report.batch.image_count == 3
    for image in report.batch.images.all():
        assert open_stored(image.thumbnail.name).mode in ("RGB", "L")


def test_a_duplicate_within_the_upload_is_reported_with_its_twin(manager, project):
    photo = samples.jpeg()
    report = run(manager, project, ("img_0001.jpg", photo), ("copy of img_0001.jpg", photo))
    assert reasons(report) == {"copy of img_0001.jpg": "duplicate of img_0001.jpg in this upload"}
    assert report.batch.image_count == 1


def test_a_duplicate_of_an_image_in_the_project_says_where_the_original_lives(manager, project):
    photo = samples.jpeg()
    run(manager, project, ("img_0042.jpg", photo), name="Street-03")
    report = run(manager, project, ("again.jpg", photo), ("new.jpg", samples.jpeg()))
    assert reasons(report) == {"again.jpg": "duplicate of img_0042.jpg in batch Street-03"}
    assert report.batch.image_count == 1


def test_the_same_image_may_live_in_two_projects(manager, project):
    from accounts.roles import grant_role
    from tests.factories import make_project

    other = make_project("Other")
    grant_role(other, manager, "manager")
    photo = samples.jpeg()
    assert run(manager, project, ("a.jpg", photo)).batch
    assert run(manager, other, ("a.jpg", photo)).batch


def test_an_archive_given_as_bytes_is_spooled_in_the_upload_folder_and_removed(
    manager, project, settings, tmp_path, monkeypatch
):
    # The upload folder (FILE_UPLOAD_TEMP_DIR) is where cleanup_media looks for what a killed process left.
    folder = tmp_path / "upload-tmp"
    folder.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(folder)
    seen = []
    real = pipeline.list_archive

    def listing(path, *args, **kwargs):
        seen.append(sorted(p.name for p in folder.iterdir()))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(pipeline, "list_archive", listing)
    report = run(manager, project, ("set.zip", samples.zip_archive([("a.jpg", samples.jpeg())])))
    assert len(report.kept) == 1
    assert len(seen) == 1 and len(seen[0]) == 1 and seen[0][0].startswith(pipeline.SPOOL_PREFIX)
    assert list(folder.iterdir()) == []


def test_a_zip_archive_is_unpacked_and_hostile_entries_are_skipped_and_reported(manager, project):
    archive = samples.zip_archive(
        [
            ("street/img_0001.jpg", samples.jpeg()),
            ("../outside.jpg", samples.jpeg()),
            ("street/../../twice.jpg", samples.jpeg()),
            ("/etc/cron.d/evil.jpg", samples.jpeg()),
            ("C:/Windows/evil.jpg", samples.jpeg()),
            ("more.zip", samples.zip_archive([("x.jpg", samples.jpeg())])),
            ("hidden_zip.jpg", samples.zip_archive([("y.jpg", samples.jpeg())])),
            ("__MACOSX/street/._img_0001.jpg", b"\x00\x05\x16\x07"),
            ("street/empty.jpg", b""),
            ("street/img_0002.png", samples.png()),
        ],
        symlinks={"street/link.jpg": "/etc/passwd"},
    )
    report = run(manager, project, ("street.zip", archive))
    assert reasons(report) == {
        "street.zip/../outside.jpg": "skipped: path leads outside the archive (..)",
        "street.zip/street/../../twice.jpg": "skipped: path leads outside the archive (..)",
        "street.zip/etc/cron.d/evil.jpg": "skipped: absolute path in the archive",
        "street.zip/C:/Windows/evil.jpg": "skipped: absolute path in the archive",
        "street.zip/more.zip": "skipped: archive inside an archive",
        "street.zip/hidden_zip.jpg": "skipped: archive inside an archive",
        "street.zip/__MACOSX/street/._img_0001.jpg": "skipped: operating-system metadata, not a picture",
        "street.zip/street/empty.jpg": "empty file",
        "street.zip/street/link.jpg": "skipped: symbolic link",
    }
    batch = report.batch
    assert batch.name == "street"
    assert sorted(batch.images.values_list("original_name", flat=True)) == [
        "street/img_0001.jpg",
        "street/img_0002.png",
    ]
    assert stored_files() == stored_names_of(batch)
    # Entry names are labels only: every stored name is generated.
    for name in stored_files():
        assert re.fullmatch(rf"projects/{project.pk}/(images|thumbs)/[0-9a-f]{{32}}\.(jpg|png)", name), name


def test_an_archive_declaring_a_huge_unpacked_size_is_refused_before_anything_is_unpacked(manager, project):
    report = run(manager, project, ("bomb.zip", samples.zip_bomb_declared()), ("ok.jpg", samples.jpeg()))
    assert reasons(report)["bomb.zip"].startswith("archive would unpack to 12 GB (limit 4 GB); nothing was unpacked")
    assert report.batch.image_count == 1


def test_an_archive_with_too_many_entries_is_refused_whole(manager, project, settings):
    settings.ARCHIVE_MAX_ENTRIES = 2
    archive = samples.zip_archive([(f"{i}.jpg", samples.jpeg()) for i in range(3)])
    report = run(manager, project, ("many.zip", archive))
    assert reasons(report) == {"many.zip": "archive holds 3 files (limit 2); nothing was unpacked"}
    assert report.batch is None
    assert stored_files() == []


def test_an_entry_larger_than_the_file_limit_is_refused_from_its_declared_size(manager, project, settings):
    settings.UPLOAD_MAX_FILE_BYTES = 10_000
    archive = samples.zip_archive([("big.jpg", samples.jpeg(1000, 800)), ("ok.jpg", samples.jpeg())])
    report = run(manager, project, ("a.zip", archive))
    assert reasons(report)["a.zip/big.jpg"].startswith("file too large: ")
    assert report.batch.image_count == 1


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"PK\x03\x04 this is not really a zip", "not a valid zip archive (damaged or incomplete)"),
        (samples.jpeg(), "not a valid zip archive"),
        (samples.zip_archive([]), "the archive is empty"),
    ],
)
def test_a_broken_or_empty_archive_is_refused_with_a_reason(manager, project, data, reason):
    report = run(manager, project, ("photos.zip", data))
    assert reasons(report) == {"photos.zip": reason}
    assert report.batch is None
    assert report.message == "No image was kept, so no batch was created."


def test_an_entry_whose_bytes_do_not_match_its_checksum_is_refused(manager, project):
    data = bytearray(samples.zip_archive([("a.jpg", samples.jpeg(200, 150))]))
    data[60] ^= 0xFF  # inside the compressed bytes of the only entry
    report = run(manager, project, ("bad.zip", bytes(data)))
    assert reasons(report)["bad.zip/a.jpg"].startswith(("damaged entry in the archive", "corrupt"))
    assert stored_files() == []


def test_storage_names_are_generated_and_the_original_name_is_kept_for_display(manager, project):
    report = run(manager, project, ("../../etc/passwd.jpg", samples.jpeg()))
    image = report.batch.images.get()
    assert image.original_name == "../../etc/passwd.jpg"
    assert re.fullmatch(rf"projects/{project.pk}/images/[0-9a-f]{{32}}\.jpg", image.file.name)


def test_only_a_manager_may_ingest_and_nothing_is_checked_otherwise(annotator, project):
    with pytest.raises(WorkflowError) as refused:
        run(annotator, project, ("a.jpg", samples.jpeg()))
    assert refused.value.kind == WorkflowError.FORBIDDEN
    assert stored_files() == []


def test_when_the_batch_cannot_be_created_every_stored_file_is_removed(manager, project, monkeypatch):
    def refuse(**kwargs):
        raise WorkflowError("The project is closed.", kind=WorkflowError.INVALID)

    monkeypatch.setattr(pipeline, "create_batch", refuse)
    report = run(manager, project, ("a.jpg", samples.jpeg()), ("b.jpg", samples.jpeg()))
    assert report.batch is None
    assert report.message == "No batch was created: The project is closed."
    assert stored_files() == []
    assert not Image.objects.exists()


def test_an_interrupted_run_leaves_nothing_in_storage(manager, project):
    def interrupt(done, total):
        if done == 70:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(manager, project, *[(f"{i}.jpg", samples.jpeg()) for i in range(80)], progress=interrupt)
    assert stored_files() == []
    assert not Batch.objects.exists()


def test_a_storage_error_refuses_that_file_only(manager, project, monkeypatch):
    real_save = FileSystemStorage._save
    calls = {"n": 0}

    def flaky(self, name, content):
        calls["n"] += 1
        if calls["n"] == 3:  # the second image's file
            raise OSError("disk full")
        return real_save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", flaky)
    report = run(manager, project, ("a.jpg", samples.jpeg()), ("b.jpg", samples.jpeg()), ("c.jpg", samples.jpeg()))
    assert reasons(report) == {"b.jpg": "could not be stored (storage error); try again"}
    assert report.batch.image_count == 2
    assert stored_files() == stored_names_of(report.batch)


def test_an_image_taken_by_a_concurrent_upload_meanwhile_is_dropped_and_the_rest_still_make_a_batch(
    manager, project, monkeypatch
):
    first, second = samples.jpeg(), samples.jpeg()
    real = pipeline.create_batch
    raced = {"done": False}

    def racing(**kwargs):
        if not raced["done"]:
            raced["done"] = True
            rival = Image(width=1, height=1, sha256=kwargs["images"][0].sha256, original_name="rival.jpg", file="x.jpg")
            workflow.create_batch(actor=manager, project=project, name="Rival", images=[rival])
        return real(**kwargs)

    monkeypatch.setattr(pipeline, "create_batch", racing)
    report = run(manager, project, ("first.jpg", first), ("second.jpg", second), name="Mine")
    assert reasons(report) == {"first.jpg": "duplicate: another upload added the same image a moment ago"}
    assert report.batch.name == "Mine"
    assert list(report.batch.images.values_list("original_name", flat=True)) == ["second.jpg"]
    assert set(stored_files()) == set(stored_names_of(report.batch))


def test_a_process_pool_gives_the_same_verdicts_as_one_process(manager, project):
    from accounts.roles import grant_role
    from tests.factories import make_project

    files = [(f"{i:02}.jpg", samples.jpeg(300, 200, seed=500 + i)) for i in range(18)]
    files += [("bad.svg", samples.SVG_WITH_SCRIPT), ("cut.jpg", samples.truncated_jpeg()), ("twin.jpg", files[0][1])]
    files += [("rot.jpg", samples.rotated_jpeg(6)), ("a.zip", samples.zip_archive([("z.jpg", samples.jpeg())]))]
    serial = run(manager, project, *files, workers=1)
    other = make_project("Other")
    grant_role(other, manager, "manager")
    parallel = run(manager, other, *files, workers=2)
    as_rows = lambda report: [(o.name, o.kept, o.reason, o.width, o.height, o.note) for o in report.outcomes]  # noqa: E731
    assert as_rows(parallel) == as_rows(serial)
    assert parallel.batch.image_count == serial.batch.image_count == 20
    hashes = lambda batch: sorted(batch.images.values_list("sha256", flat=True))  # noqa: E731
    assert hashes(parallel.batch) == hashes(serial.batch)


def test_a_folder_on_disk_is_read_from_its_paths(manager, project, tmp_path):
    (tmp_path / "a.jpg").write_bytes(samples.jpeg())
    (tmp_path / "b.png").write_bytes(samples.png())
    sources = [Source.from_path(tmp_path / "a.jpg"), Source.from_path(tmp_path / "b.png")]
    report = ingest(actor=manager, project=project, sources=sources, default_name="Folder")
    assert report.batch.name == "Folder"
    assert report.batch.image_count == 2
    assert (tmp_path / "a.jpg").exists()  # the source is copied, never moved away


def test_a_source_that_cannot_be_read_is_refused_with_the_reason(manager, project, tmp_path):
    (tmp_path / "ok.jpg").write_bytes(samples.jpeg())
    sources = [Source.from_path(tmp_path / "gone.jpg"), Source.from_path(tmp_path / "gone.zip")]
    report = ingest(actor=manager, project=project, sources=[*sources, Source.from_path(tmp_path / "ok.jpg")])
    assert reasons(report) == {
        "gone.jpg": "could not be read (No such file or directory)",
        "gone.zip": "could not be read (No such file or directory)",
    }
    assert report.batch.image_count == 1

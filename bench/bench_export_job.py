"""Export job benchmark: a worker writes the zip of 5,000 and 20,000 images with their files to storage.

Run standalone (`DEBUG=1 .venv/bin/python bench/bench_export_job.py`) or through `make bench`. The
datasets are made through the workflow (batches of 5,000 moved to Dataset, one box per image), each
image with a small real JPEG on local disk. Each size is measured in a fresh process that runs the export
task's own code (`run_export.call`, what `manage.py worker` calls for a queued job): the time, the
zip's size, and the process's resident memory before the job (Django loaded, the job prepared) and
at its peak (ru_maxrss, plus /proc sampling while it runs). Flat memory means the peak does not follow
the number of images. Writes the "export-job" section of docs/PERFORMANCE.md.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_export import mb, setup_django  # noqa: E402

SIZES = [int(n) for n in os.environ.get("BENCH_EXPORT_JOB_SIZES", "5000,20000").split(",")]
IMAGES_PER_BATCH = 5000


def small_jpeg() -> bytes:
    import io

    from PIL import Image as PILImage

    rng = random.Random(2)
    noise = PILImage.frombytes("RGB", (64, 48), bytes(rng.randrange(256) for _ in range(64 * 48 * 3)))
    buffer = io.BytesIO()
    noise.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def build_with_files(db_path: Path, media: Path, images: int) -> None:
    """A project whose Dataset column holds `images` images in batches of 5,000, one box and one file each."""
    setup_django(db_path, media)
    import hashlib

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from accounts.models import LabelClass, Project
    from accounts.roles import grant_role
    from batches import workflow
    from batches.models import Annotation, Image

    call_command("migrate", verbosity=0)
    people = {
        role: get_user_model().objects.create_user(username=role) for role in ("manager", "annotator", "reviewer")
    }
    project = Project.objects.create(name="Bench")
    for role, user in people.items():
        grant_role(project, user, role)
    label = LabelClass.objects.create(project=project, name="car", key=1)
    picture = small_jpeg()
    (media / "bench").mkdir(parents=True, exist_ok=True)
    for start in range(0, images, IMAGES_PER_BATCH):
        numbers = range(start + 1, min(start + IMAGES_PER_BATCH, images) + 1)
        for n in numbers:
            (media / "bench" / f"{n}.jpg").write_bytes(picture)
        rows = [
            Image(
                file=f"bench/{n}.jpg",
                width=64,
                height=48,
                sha256=hashlib.sha256(str(n).encode()).hexdigest(),
                original_name=f"frame_{n:06d}.jpg",
                state=Image.State.ANNOTATED,
            )
            for n in numbers
        ]
        batch = workflow.create_batch(actor=people["manager"], project=project, name=f"Batch {start}", images=rows)
        batch = workflow.assign(actor=people["manager"], batch=batch, assignees=[people["annotator"]]).assigned[0]
        Annotation.objects.bulk_create(
            (
                Annotation(image_id=pk, label_class=label, x=4, y=4, w=20, h=10, author=people["annotator"])
                for pk in Image.objects.filter(batch=batch).values_list("pk", flat=True)
            ),
            batch_size=2000,
        )
        batch = workflow.submit(actor=people["annotator"], batch=batch)
        workflow.approve(actor=people["reviewer"], batch=batch)


def rss_now() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def measure(db_path: Path, media: Path) -> dict:
    setup_django(db_path, media)
    import resource

    from django.core.files.storage import default_storage

    from accounts.models import Project
    from batches.export import ExportOptions
    from batches.export.jobs import options_as_data, run_export
    from batches.models import ExportJob, Image

    project = Project.objects.get()
    options = ExportOptions(format="coco", include_images=True)
    job = ExportJob.objects.create(project=project, options=options_as_data(options), image_count=Image.objects.count())
    rss_before = rss_now()
    samples = [rss_before]
    running = threading.Event()
    running.set()

    def sample() -> None:
        while running.is_set():
            samples.append(rss_now())
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    size = run_export.call(job.pk)
    seconds = time.perf_counter() - started
    running.clear()
    sampler.join()
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE, job.error
    assert default_storage.size(job.file) == size
    return {
        "seconds": seconds,
        "bytes": size,
        "rss_before": rss_before,
        "rss_peak_sampled": max(samples),
        "rss_max": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }


def child(*args: str) -> str:
    result = subprocess.run([sys.executable, __file__, *args], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"bench_export_job {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def main() -> None:
    os.environ.setdefault("DEBUG", "1")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_export_job_") as tmp:
        tmp = Path(tmp)
        for images in SIZES:
            db, media = tmp / f"{images}.sqlite3", tmp / f"media-{images}"
            media.mkdir()
            started = time.perf_counter()
            child("build", str(db), str(media), str(images))
            print(f"built {images} images with files in {time.perf_counter() - started:.1f} s", flush=True)
            figures = json.loads(child("measure", str(db), str(media)).strip().splitlines()[-1])
            rows.append({"images": images, **figures})
            print(
                f"  {figures['seconds']:6.2f} s  zip {mb(figures['bytes'])} MB  rss {mb(figures['rss_before'])} → "
                f"peak {mb(figures['rss_max'])} MB",
                flush=True,
            )
    report(rows)


def report(rows: list[dict]) -> None:
    from bench._report import write_section

    lines = [
        "Export job (COCO with image files, one box per image, a 64×48 JPEG per image on local "
        "disk, SQLite): the worker's code path (`run_export`) writes the zip into storage through the streaming "
        "writer. Each row is a fresh process; **RSS before** = resident memory with Django loaded and the job "
        "row made; **peak RSS** = ru_maxrss at the end (the highest it ever was).",
        "",
        "| images | time (s) | images/s | zip (MB) | RSS before (MB) | peak RSS (MB) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        lines.append(
            f"| {row['images']:,} | {row['seconds']:.1f} | {row['images'] / row['seconds']:,.0f} | {mb(row['bytes'])} | "
            f"{mb(row['rss_before'])} | {mb(row['rss_max'])} |"
        )
    if len(rows) > 1:
        small, large = rows[0], rows[-1]
        growth = (large["rss_max"] - large["rss_before"]) - (small["rss_max"] - small["rss_before"])
        lines += [
            "",
            f"{large['images'] / small['images']:.0f}× the images: {large['seconds'] / small['seconds']:.1f}× the time, "
            f"{large['bytes'] / small['bytes']:.1f}× the zip, and the worker's memory above its start grows by "
            f"{mb(growth)} MB ({growth / (large['images'] - small['images']):+.0f} bytes per extra image) while the "
            "zip grows by tens of MB: the image bytes pass through 64 KB at a time. What does grow is the zip's "
            "central directory (about 0.1 KB per file, kept by every zip writer until the end) and the high-water "
            "marks of Python's allocator and SQLite's cache.",
        ]
    write_section("export-job", "\n".join(lines))
    print("docs/PERFORMANCE.md: export-job section written")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "build":
        build_with_files(Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
    elif len(sys.argv) > 1 and sys.argv[1] == "measure":
        print(json.dumps(measure(Path(sys.argv[2]), Path(sys.argv[3]))))
    else:
        main()

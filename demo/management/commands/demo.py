"""`python manage.py demo` (what `make demo` runs): everything from an empty checkout to a browsable storefront.

Storefront first: it starts the embedded services, migrates, seeds the demo data once (without photos), and starts
gunicorn, the Celery workers and beat, so the storefront serves on baselines within a few minutes. Everything
else runs in two background processes of this supervisor while it serves, and each surface upgrades itself
when its part is ready:
- `index`: embed the listings, build the SPU and semantic interest units, then queue the models' training on the
  gpu worker (each model takes over its surface once its version beats the best baseline);
- `photos`: draw the listings' thumbnails and attach them chunk by chunk, then build the image units.
Ctrl-C / SIGTERM stops everything it started (embedded services that were already running, or that a test run
still uses, are left alone: see marketplace.stack).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import FrameType

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from marketplace import stack
from marketplace.models import Listing, ListingSource

BACKGROUND_STEPS = ("index", "photos")
STARTED_AT_ENV = "DEMO_STARTED_AT"
READY_TIMEOUT_SECONDS = 120  # how long the supervisor waits for the first 200 on / before printing the URL anyway
PHOTOS_NICENESS = 10
INDEX_WAIT_SECONDS = 30 * 60  # the image units wait this long at most for the index step's embeddings


class Command(BaseCommand):
    help = "Set up and run the demo storefront (web + workers + beat) until interrupted; the rest fills in behind it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.DEMO_HOST)
        parser.add_argument("--port", type=int, default=settings.DEMO_PORT)
        parser.add_argument("--users", type=int, default=2000)
        parser.add_argument("--listings", type=int, default=20000)
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--skip-setup", action="store_true", help="only start the processes")
        parser.add_argument("--background-step", choices=BACKGROUND_STEPS,
                            help="run one of the steps the demo runs behind the storefront, then exit")

    def handle(self, *args: object, **options: object) -> None:
        # one clock for the supervisor and its background steps, so the log's "[demo N s]" lines line up
        self.started = time.time()
        if options["background_step"]:
            self.started = float(os.environ.get(STARTED_AT_ENV, self.started))
            self._background_step(str(options["background_step"]), options)
            return
        started = stack.stack_session_open()
        try:
            if not options["skip_setup"]:
                self._prepare(options)
            steps = () if options["skip_setup"] else BACKGROUND_STEPS
            self._serve(str(options["host"]), int(options["port"]), steps, options)
        finally:
            stopped = stack.stack_session_close()
            if stopped:
                self.stdout.write(f"Embedded services stopped: {', '.join(stopped)}.")
            elif started:
                self.stdout.write("Embedded services left running: another session (a test run) still uses them.")

    def _say(self, message: str) -> None:
        self.stdout.write(f"[demo {time.time() - self.started:5.0f} s] {message}")
        self.stdout.flush()

    def _prepare(self, options: dict) -> None:
        """Only what the storefront cannot open without: schema, an admin, the demo data (no photos: ~4 min)."""
        call_command("migrate", interactive=False, verbosity=0)
        self._say("database migrated")
        User = get_user_model()
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@example.com", "admin")
        if not Listing.objects.filter(source=ListingSource.DEMO).exists():
            call_command("seed_demo", users=options["users"], listings=options["listings"], days=options["days"],
                         seed=options["seed"], no_photos=True)
            self._say("demo data seeded")

    # -- the background steps (each its own process, started by _serve) ----------------------------------------

    def _background_step(self, step: str, options: dict) -> None:
        if step == "index":
            self._index()
        else:
            self._photos(options)

    def _index(self) -> None:
        """Embeddings, then the units built on them, then training (which reads both)."""
        from interest_units.models import UnitType
        from interest_units.services import listing_embeddings_backfill

        started = time.monotonic()

        def progress(done: int, total: int) -> None:
            if done == total or done % 2048 == 0:
                self._say(f"embedded {done:,} / {total:,} listings")

        embedded = listing_embeddings_backfill(progress=progress)
        if embedded:
            seconds = time.monotonic() - started
            self._say(f"embeddings ready: {embedded:,} listings in {seconds:.0f} s ({embedded / seconds:.0f}/s)")
        missing = [t for t in (UnitType.SPU, UnitType.SEMANTIC) if not _live_units(t)]
        if missing:
            call_command("build_interest_units", types=",".join(missing), no_embed=True)
            self._say(f"interest units ready: {', '.join(missing)}")
        self._train_in_background()

    def _photos(self, options: dict) -> None:
        """Thumbnails in chunks (the storefront shows them as they come), then the image units built on them."""
        from demo.seeding import demo_photos_attach, demo_photos_dir
        from interest_units.models import UnitType

        # Below the index step and the web: on two shared cores, units and models change more than pictures do.
        os.nice(PHOTOS_NICENESS)
        directory = demo_photos_dir(seed=options["seed"], users=options["users"], listings=options["listings"],
                                    days=options["days"])

        def report(done: int, total: int) -> None:
            if done == total or done % 2000 < 500:
                self._say(f"photos attached to {done:,} / {total:,} listings")

        attached = demo_photos_attach(directory=directory, report=report)
        if attached:
            self._say(f"photos ready: {attached:,} listings")
        if attached or not _live_units(UnitType.IMAGE):
            # after the index step's embeddings: the build's quality report reads the text vectors
            deadline = time.monotonic() + INDEX_WAIT_SECONDS
            while Listing.objects.filter(text_embedding__isnull=True).exists() and time.monotonic() < deadline:
                time.sleep(5)
            call_command("build_interest_units", types=UnitType.IMAGE, no_embed=True)
            self._say("interest units ready: image")

    def _train_in_background(self) -> None:
        """Each untrained model trains on the gpu queue and replaces the baselines on the rows whose serving slot it
        wins (see /admin/recommender/surfacechoice/)."""
        from jobs.models import JobKind
        from jobs.services import job_queue
        from recommender.models import ModelVersion
        from recommender.serving.loading import SURFACE_MODELS
        from recommender.tasks import model_train

        trained = set(ModelVersion.objects.exclude(checkpoint="").values_list("name", flat=True))
        pending = [name for name in SURFACE_MODELS if name not in trained]
        for name in pending:
            job_queue(kind=JobKind.TRAINING, name=name)  # "queued" on the status page until the worker takes it
            # queued_at: a message the broker still holds from an earlier start runs once, not twice
            model_train.apply_async(args=[name], kwargs={"queued_at": time.time()}, queue="gpu")
        if pending:
            self._say(f"training queued on the gpu worker: {', '.join(pending)}")

    # -- the supervisor ------------------------------------------------------------------------------------------

    def _serve(self, host: str, port: int, steps: tuple[str, ...], options: dict) -> None:
        python = sys.executable
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE",
                                                                      "config.settings.local"),
               STARTED_AT_ENV: str(self.started)}
        commands = {
            "web": [python, "-m", "gunicorn", "config.wsgi:application", "--bind", f"{host}:{port}",
                    "--workers", "2", "--threads", "4", "--access-logfile", "-"],
            # Two workers: a long training run on the gpu queue must never delay near-real-time tasks.
            # Its child is replaced after a task that leaves it above 450 MB: an item-vector backfill loads the four
            # served models (~670 MB resident), which an idle worker would otherwise keep; the text encoder (~270 MB)
            # stays loaded.
            "worker": [python, "-m", "celery", "-A", "config", "worker", "-Q", "default", "-n", "default@%h",
                       "--concurrency", "1", "--max-memory-per-child", str(450 * 1024), "--loglevel", "INFO"],
            # A fresh child per task: a training run's peak (~3 GB on the 20,000-listing demo) goes back to the system
            # when it ends instead of staying resident in an idle worker.
            "gpu-worker": [python, "-m", "celery", "-A", "config", "worker", "-Q", "gpu", "-n", "gpu@%h",
                           "--concurrency", "1", "--max-tasks-per-child", "1", "--loglevel", "INFO"],
            # and user-vector refreshes get their own, so counter updates never delay them (p95 < 1 s)
            "nrt-worker": [python, "-m", "celery", "-A", "config", "worker", "-Q", "nrt", "-n", "nrt@%h",
                           "--concurrency", "1", "--loglevel", "INFO"],
            "beat": [python, "-m", "celery", "-A", "config", "beat", "--loglevel", "INFO",
                     "--schedule", str(settings.BASE_DIR / ".data" / "celerybeat-schedule")],
        }
        # Each process logs to its own file: the terminal keeps the demo's progress lines and the URL in view.
        logs = settings.BASE_DIR / ".data" / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        processes = {name: _logged_popen(cmd, env=env, log=logs / f"{name}.log") for name, cmd in commands.items()}
        config = [f"--{name}={options[name]}" for name in ("users", "listings", "days", "seed")]
        background = {
            step: subprocess.Popen([python, "manage.py", "demo", "--background-step", step, *config], env=env,
                                   cwd=settings.BASE_DIR)
            for step in steps
        }
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        if self._wait_for_storefront(host, port, processes):
            self._say("storefront answers 200 on /")
        self.stdout.write(self.style.SUCCESS(
            f"\nStorefront: http://{host}:{port}/   admin: http://{host}:{port}/admin/ (admin / admin)\n"
            + ("Embeddings, interest units, photos and models fill in behind it (see the README's demo section).\n"
               if steps else "")
            + f"Logs of the web server, workers and beat: {logs}/. Press Ctrl-C to stop everything.\n"
        ))
        try:
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(f"{name} exited with code {process.returncode} (its log: "
                                          f"{logs / (name + '.log')}); stopping.")
                        stopping = True
                for step, process in list(background.items()):
                    if process.poll() is not None:  # done: the storefront serves on without it
                        if process.returncode:
                            self.stderr.write(f"background step {step} failed (code {process.returncode}); the "
                                              "storefront keeps serving, and beat retries the embeddings and units.")
                        del background[step]
                time.sleep(0.5)
        finally:
            everything = [*processes.values(), *background.values()]
            for process in everything:
                if process.poll() is None:
                    process.terminate()
            deadline = time.monotonic() + 20
            for process in everything:
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()

    def _wait_for_storefront(self, host: str, port: int, processes: dict[str, subprocess.Popen]) -> bool:
        """Poll / until it answers 200 (or the web process dies, or READY_TIMEOUT_SECONDS pass)."""
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}/"
        while time.monotonic() < deadline and processes["web"].poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own http URL
                    if response.status == 200:
                        return True
            except OSError:
                pass
            time.sleep(0.5)
        return False


def _logged_popen(command: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start `command` with its output appended to `log` (the child keeps the file open; this process need not)."""
    with log.open("ab") as output:
        return subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)


def _live_units(unit_type: str) -> bool:
    from interest_units.models import InterestUnit

    return InterestUnit.objects.filter(type=unit_type, retired_at__isnull=True).exists()

"""`python manage.py demo` (what `make demo` runs): everything from an empty checkout to a browsable storefront.

Starts the embedded services, migrates, seeds demo data once, builds interest units, trains the models, then
runs gunicorn + a Celery worker + beat until Ctrl-C / SIGTERM, and stops everything it started (embedded services
that were already running, or that a test run still uses, are left alone: see marketplace.stack).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import FrameType

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandParser

from marketplace import stack
from marketplace.models import Listing, ListingSource


class Command(BaseCommand):
    help = "Set up and run the demo storefront (web + worker + beat) until interrupted."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("DEMO_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("DEMO_PORT", "8000")))
        parser.add_argument("--users", type=int, default=2000)
        parser.add_argument("--listings", type=int, default=20000)
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--skip-setup", action="store_true", help="only start the processes")

    def handle(self, *args: object, **options: object) -> None:
        started = stack.stack_session_open()
        try:
            if not options["skip_setup"]:
                self._prepare(options)
            self._serve(str(options["host"]), int(options["port"]))
        finally:
            stopped = stack.stack_session_close()
            if stopped:
                self.stdout.write(f"Embedded services stopped: {', '.join(stopped)}.")
            elif started:
                self.stdout.write("Embedded services left running: another session (a test run) still uses them.")

    def _prepare(self, options: dict) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        User = get_user_model()
        if not User.objects.filter(username="admin").exists():
            User.objects.create_superuser("admin", "admin@example.com", "admin")
        if not Listing.objects.filter(source=ListingSource.DEMO).exists():
            call_command("seed_demo", users=options["users"], listings=options["listings"], days=options["days"],
                         seed=options["seed"])
        if "build_interest_units" in get_commands():
            call_command("build_interest_units")
        self._train_in_background()

    def _train_in_background(self) -> None:
        """The storefront opens on baselines at once; each model trains on the gpu queue and replaces them as
        soon as its version beats the best baseline (see /admin/recommender/modelversion/)."""
        from recommender.models import ModelVersion
        from recommender.serving import SURFACE_MODELS
        from recommender.tasks import model_train

        trained = set(ModelVersion.objects.exclude(checkpoint="").values_list("name", flat=True))
        pending = [name for name in SURFACE_MODELS if name not in trained]
        for name in pending:
            model_train.apply_async(args=[name], queue="gpu")
        if pending:
            self.stdout.write(f"Training in the background: {', '.join(pending)}")

    def _serve(self, host: str, port: int) -> None:
        python = sys.executable
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE",
                                                                      "marketplace.settings.local")}
        commands = {
            "web": [python, "-m", "gunicorn", "marketplace.wsgi:application", "--bind", f"{host}:{port}",
                    "--workers", "2", "--threads", "4", "--access-logfile", "-"],
            # Two workers: a long training run on the gpu queue must never delay near-real-time tasks.
            "worker": [python, "-m", "celery", "-A", "marketplace", "worker", "-Q", "default", "-n", "default@%h",
                       "--concurrency", "1", "--loglevel", "INFO"],
            "gpu-worker": [python, "-m", "celery", "-A", "marketplace", "worker", "-Q", "gpu", "-n", "gpu@%h",
                           "--concurrency", "1", "--loglevel", "INFO"],
            # and user-vector refreshes get their own, so counter updates never delay them (p95 < 1 s)
            "nrt-worker": [python, "-m", "celery", "-A", "marketplace", "worker", "-Q", "nrt", "-n", "nrt@%h",
                           "--concurrency", "1", "--loglevel", "INFO"],
            "beat": [python, "-m", "celery", "-A", "marketplace", "beat", "--loglevel", "INFO",
                     "--schedule", str(settings.BASE_DIR / ".data" / "celerybeat-schedule")],
        }
        processes = {name: subprocess.Popen(cmd, env=env) for name, cmd in commands.items()}
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(self.style.SUCCESS(
            f"\nStorefront: http://{host}:{port}/   admin: http://{host}:{port}/admin/ (admin / admin)\n"
            "Press Ctrl-C to stop everything.\n"
        ))
        try:
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(f"{name} exited with code {process.returncode}; stopping.")
                        stopping = True
                time.sleep(0.5)
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.terminate()
            deadline = time.monotonic() + 20
            for process in processes.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()

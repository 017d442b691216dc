"""`python manage.py stack up|down|status`: the embedded PostgreSQL and Redis (no-op for external URLs)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from marketplace import stack


class Command(BaseCommand):
    help = (
        "Start, stop or show the embedded PostgreSQL (pgvector) and Redis servers used when DATABASE_URL / "
        "REDIS_URL are unset. Data lives in .data/; starting twice reuses the running servers."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["up", "down", "status"], help="what to do")

    def handle(self, *args: object, action: str, **options: object) -> None:
        try:
            if action == "up":
                stack.stack_up()
            elif action == "down":
                stack.stack_down()
        except (RuntimeError, OSError) as error:
            raise CommandError(str(error)) from error
        for status in stack.stack_status():
            self.stdout.write(str(status))

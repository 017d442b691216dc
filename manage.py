#!/usr/bin/env python
"""Django's command-line utility. Starts the embedded Postgres / Redis first when no URLs are configured."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    # `demo` starts the services itself, so that it knows which ones to stop when it ends.
    if command not in {"stack", "demo", "help", "--help", "-h", "", "version", "--version"}:
        from marketplace.stack import stack_ensure_up

        stack_ensure_up()
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()

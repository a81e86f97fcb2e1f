"""Commands for the database: migrate, makemigrations."""

from __future__ import annotations

import argparse

from bot import db
from bot.config import Settings


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("migrate", help="apply database migrations")
    p.set_defaults(func=cmd_migrate)

    p = sub.add_parser("makemigrations", help="write a migration for model changes (developers)")
    p.add_argument("--name", default=None, help="a name for the migration file")
    p.add_argument("--check", action="store_true", help="exit 1 if a migration is missing")
    p.set_defaults(func=cmd_makemigrations)


async def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    applied = await db.migrate(settings.database_url)
    await db.close()
    print(f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else ""))
    return 0


async def cmd_makemigrations(settings: Settings, args: argparse.Namespace) -> int:
    """Write a migration for model changes; with --check, only say whether one is needed."""
    from tortoise.cli.cli import tortoise_cli_context
    from tortoise.migrations.autodetector import MigrationAutodetector

    # The autodetector compares the models with the migration files, not with a database.
    config = db.tortoise_config("sqlite://:memory:")
    async with tortoise_cli_context(config) as context:
        writers = await MigrationAutodetector(context.apps, config["apps"]).changes()
    if not writers:
        print("no model changes")
        return 0
    if args.check:
        print("models changed without a migration: run `python -m bot makemigrations --name ...`")
        return 1
    for writer in writers:
        if args.name:
            number = writer.name.split("_", 1)[0]
            writer.name = f"{number}_{args.name}"
        print(f"created {writer.write()}")
    return 0

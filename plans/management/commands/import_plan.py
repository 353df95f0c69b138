from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from plans.planfile import ImportRefused, PlanFileError, check_size, import_plan_text


class Command(BaseCommand):
    help = (
        "Import a plan file (docs/plan-format.md): create the plan, or update it in place. Prints what the "
        "file adds, changes and removes; refuses to remove anything unless --allow-removals is given, and "
        "never removes what a school plan is built on."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path to the plan file (YAML)")
        parser.add_argument("--as", dest="as_user", help="e-mail of the person the change is recorded against")
        parser.add_argument(
            "--check", action="store_true", help="validate and print what the import would do; write nothing"
        )
        parser.add_argument(
            "--allow-removals",
            action="store_true",
            help="let the import remove what the file no longer has (aims, sections, pocket guides ...)",
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        try:
            check_size(path.stat().st_size)  # before reading: a huge file is never read into memory
            text = path.read_text(encoding="utf-8")
        except PlanFileError as exc:
            raise CommandError(f"{path} was not imported; nothing was changed. {exc.errors[0]}") from exc
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path} is not UTF-8 text") from exc
        user = None
        if options["as_user"]:
            user = get_user_model().objects.filter(email__iexact=options["as_user"]).first()
            if user is None:
                raise CommandError(f"No person with the e-mail {options['as_user']}")
        try:
            result = import_plan_text(
                text,
                user=user,
                source=path.name,
                allow_removals=options["allow_removals"],
                check=options["check"],
            )
        except ImportRefused as exc:
            lines = "\n".join(exc.errors)
            raise CommandError(f"{path} was not imported; nothing was changed.\n{lines}") from exc
        except PlanFileError as exc:
            lines = "\n".join(f"  {e}" for e in exc.errors)
            raise CommandError(f"{path} was not imported; nothing was changed. Fix these:\n{lines}") from exc
        self.stdout.write("\n".join(result.summary.lines()))
        if options["check"]:
            self.stdout.write(self.style.SUCCESS(f"Checked {path}: it can be imported. Nothing was written."))
            return
        verb = "Created" if result.created else "Updated"
        if not result.created and result.changes == 0:
            verb = "Unchanged:"
        self.stdout.write(self.style.SUCCESS(f"{verb} {result.plan.slug} ({result.changes} changes)"))

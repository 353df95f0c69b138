from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from plans.models import StrategicPlan
from plans.planfile import export_plan_text


class Command(BaseCommand):
    help = "Export a plan to a plan file (docs/plan-format.md); to standard output without -o."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the plan's slug, e.g. tsp-2022-27")
        parser.add_argument("-o", "--output", help="file to write")

    def handle(self, *args, **options):
        plan = StrategicPlan.objects.select_related("trust").filter(slug=options["slug"]).first()
        if plan is None:
            known = ", ".join(StrategicPlan.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"No plan with slug {options['slug']!r} (known: {known})")
        text = export_plan_text(plan)
        if options["output"]:
            Path(options["output"]).write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {options['output']}")
        else:
            self.stdout.write(text, ending="")

from django.core.management.base import BaseCommand, CommandError

from smart_trust import demo_large
from smart_trust.demo import PEOPLE, demo_email, load_demo, start_this_years_cycle


class Command(BaseCommand):
    help = (
        "Load the demo trust, its schools, one person per role and the 2022-27 plan. Idempotent. "
        "With --schools N (and --years Y), a large trust instead: N schools with 25 people each and an SDP "
        "per school per year, with history (smart_trust/demo_large.py)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", help="password for newly created demo people (default: random)")
        parser.add_argument(
            "--schools",
            type=int,
            help=f"large demo: this many schools in all, the demo's {len(demo_large.SCHOOLS)} included",
        )
        parser.add_argument(
            "--years", type=int, help="large demo: SDPs for this many academic years from 2023/24 (default 3)"
        )
        parser.add_argument(
            "--cycle-now",
            action="store_true",
            help="also make the academic year whose review cycle runs today, with its stages, so home pages "
            "say what is due on today's clock (the demo's ratings stay in 2023/24)",
        )

    def handle(self, *args, **options):
        if options["schools"] is not None:
            return self.large(options)
        if options["years"] is not None:
            raise CommandError("--years is for the large demo: give --schools too.")
        there = demo_large.loaded()
        if there is not None:
            # The demo plan file has only the 2023/24 pocket guide; importing it again would be
            # refused, since the large demo's SDPs are built on its other years' guides.
            self.stdout.write(
                f"The large demo trust is loaded ({there['schools']} schools); the small demo is part of it. "
                "Nothing to do."
            )
            return
        result = load_demo(password=options["password"])
        self.stdout.write(f"Demo plan: {result.plan_changes} changes.")
        if result.created_people:
            self.stdout.write(self.style.SUCCESS(f"Created {len(result.created_people)} demo people:"))
            for user in result.created_people:
                roles = ", ".join(str(r) for r in user.roles.select_related("school", "trust"))
                self.stdout.write(f"  {user.email:45} {roles}")
            self.stdout.write(
                self.style.WARNING(
                    f"Demo password for all of them: {result.password}\n"
                    "It is shown only this once. Change it with: "
                    "python manage.py changepassword EMAIL"
                )
            )
        else:
            self.stdout.write(f"Demo people already exist (e.g. {demo_email(PEOPLE[0][0])}); passwords unchanged.")
        if options["cycle_now"]:
            year, stages = start_this_years_cycle()
            self.stdout.write(f"The {year.label} review cycle runs today: {stages} stages (/cycle/).")

    def large(self, options):
        years = options["years"] if options["years"] is not None else 3
        try:
            result = demo_large.load_large_demo(schools=options["schools"], years=years, password=options["password"])
        except demo_large.LargeDemoRefused as refused:
            raise CommandError(str(refused)) from refused
        if result.already:
            self.stdout.write(
                f"The large demo trust is already loaded: {result.schools} schools, "
                f"{result.counts['SDPs']} SDPs for {', '.join(result.years)}. Nothing changed "
                f"({result.seconds:.1f} s)."
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Large demo trust: {result.schools} schools, SDPs for {', '.join(result.years)}, "
                    f"made in {result.seconds:.1f} s:"
                )
            )
            for what, n in result.counts.items():
                self.stdout.write(f"  {what:20} {n:>9,}")
        self.stdout.write("For example (every school has the same roles; find people by role, not by address):")
        for role, email in result.examples.items():
            self.stdout.write(f"  {role:60} {email}")
        if result.password:
            self.stdout.write(
                self.style.WARNING(
                    f"Demo password for every person made now: {result.password}\n"
                    "It is shown only this once. Change it with: python manage.py changepassword EMAIL"
                )
            )

from django.core.management.base import BaseCommand

from smart_trust.demo import PEOPLE, demo_email, load_demo


class Command(BaseCommand):
    help = "Load the demo trust, its schools, one person per role and the 2022-27 plan. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--password", help="password for newly created demo people (default: random)")

    def handle(self, *args, **options):
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

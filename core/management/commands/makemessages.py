"""Django's makemessages, aware of this project's layout: only the application's own code is
examined (not the virtualenv, tests, benchmarks, node modules or collected files), each app's
strings go to its own locale/ and those of templates/ and core/ to core/locale
(LOCALE_PATHS), and catalogues name files without line numbers so that moving code does not
rewrite them. `make messages` runs it for every language; docs/translations.md."""

from django.core.management.commands import makemessages

IGNORED = [
    ".venv/*",
    "node_modules/*",
    "tests/*",
    "benchmarks/*",
    "static/*",
    "var/*",
    "docs/*",
]


class Command(makemessages.Command):
    def handle(self, *args, **options):
        options["ignore_patterns"] = [*options.get("ignore_patterns", []), *IGNORED]
        if options.get("add_location") is None:
            options["add_location"] = "file"
        options["no_obsolete"] = True
        return super().handle(*args, **options)

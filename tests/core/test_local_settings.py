"""`make run`'s settings (collabhub.settings.local), loaded as `make run` loads them, in a
process of their own: DEBUG off unless asked for, static files still served, and the API token
pepper taken from the environment when it is set."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Requests a wrong URL and a static file through the whole middleware stack, as a browser would.
PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
client = Client(HTTP_HOST="127.0.0.1")
missing = client.get("/no/such/page/")
static = client.get("/static/css/app.css")
print(json.dumps({
    "debug": settings.DEBUG,
    "pepper": settings.API_TOKEN_PEPPER,
    "status": missing.status_code,
    "page": missing.content.decode(),
    "static_status": static.status_code,
}))
"""


def run_local(tmp_path, **env) -> dict:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "API_TOKEN_PEPPER", "REDIS_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    # A database of its own: none of these requests may need one.
    environment["DATABASE_URL"] = f"sqlite:///{tmp_path / 'local.sqlite3'}"
    environment["DJANGO_SETTINGS_MODULE"] = "collabhub.settings.local"
    environment.update(env)
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_make_run_shows_the_friendly_404_page_by_default(tmp_path):
    probe = run_local(tmp_path)
    assert probe["debug"] is False
    assert probe["status"] == 404
    assert "We could not find that page." in probe["page"]
    assert "Using the URLconf" not in probe["page"]  # Django's DEBUG page lists every URL
    assert probe["static_status"] == 200  # whitenoise serves static files with DEBUG off


def test_developers_opt_in_to_debug(tmp_path):
    probe = run_local(tmp_path, DEBUG="1")
    assert probe["debug"] is True
    assert "Using the URLconf" in probe["page"]
    assert probe["static_status"] == 200


def test_the_api_token_pepper_comes_from_the_environment_when_set(tmp_path):
    assert run_local(tmp_path)["pepper"] == "local-only-pepper"
    custom = run_local(tmp_path, API_TOKEN_PEPPER="a-pepper-of-my-own")
    assert custom["pepper"] == "a-pepper-of-my-own"

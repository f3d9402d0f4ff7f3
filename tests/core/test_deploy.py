"""Production settings pass Django's deployment checklist and refuse to start without secrets."""

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SECRET_KEY = "a-very-long-random-production-secret-key-0123456789-abcdefghijklmnop"


def run_manage(*args, **env):
    environment = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "SECRET_KEY",
            "DJANGO_SETTINGS_MODULE",
            "DATABASE_URL",
            "REDIS_URL",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    environment.update(env)
    environment["DJANGO_SETTINGS_MODULE"] = "collabhub.settings.production"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=SECRET_KEY,
        REDIS_URL="redis://redis:6379/0",
        ALLOWED_HOSTS="collabhub.example.ca",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_a_missing_secret_key():
    result = run_manage("check", REDIS_URL="redis://redis:6379/0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_refuse_a_missing_redis_url():
    # Without Redis each gunicorn worker would keep its own cache, so its own API throttle counts.
    result = run_manage("check", SECRET_KEY=SECRET_KEY, ALLOWED_HOSTS="collabhub.example.ca")
    assert result.returncode != 0
    assert "REDIS_URL must be set in production" in result.stderr


def test_docker_compose_gives_every_app_container_redis():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    for service in ("web", "worker", "beat"):
        environment = compose["services"][service]["environment"]
        assert environment["DJANGO_SETTINGS_MODULE"] == "collabhub.settings.production"
        assert environment["REDIS_URL"].startswith("redis://"), service
    # The health check beat waits for goes to the path answered before host validation.
    assert "http://localhost:8000/healthz" in compose["services"]["web"]["healthcheck"]["test"]

# The production image: gunicorn serving Django; the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=collabhub.settings.production

RUN apt-get update \
    && apt-get install -y --no-install-recommends curl procps gettext \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1000 collabhub

WORKDIR /app
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock

COPY --chown=collabhub:collabhub . .
# collectstatic imports production settings, which require a SECRET_KEY and a REDIS_URL; these are
# only for the build (nothing connects to Redis while collecting static files).
RUN SECRET_KEY=build-only-collectstatic-key-not-used-at-runtime-0123456789abcdef \
    REDIS_URL=redis://build-only-unused:6379/0 \
    python manage.py collectstatic --noinput -v0 \
    && python manage.py compilemessages --ignore=var -v0 \
    && mkdir -p /app/var/media && chown -R collabhub:collabhub /app/var

USER collabhub
EXPOSE 8000
CMD ["gunicorn", "collabhub.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]

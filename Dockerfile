# The web, worker and beat image (docker compose up). Debian base: WeasyPrint needs Pango.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# collectstatic needs settings to load; the real secret comes from the environment at run time.
RUN SECRET_KEY=build-only python manage.py collectstatic --noinput
RUN useradd --create-home app && mkdir -p /app/var/pdfs /app/media && chown -R app /app/var /app/media
USER app
EXPOSE 8000
CMD ["gunicorn", "smart_trust.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]

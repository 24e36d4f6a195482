# One image, several processes: run it once as the web server (default command), once as the
# Celery worker and once as Celery beat. See README.md "Production deployment".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=8000

WORKDIR /app
RUN useradd --create-home --uid 1000 helpdesk
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# Static files are collected into the image and served by WhiteNoise.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput -v 0

USER helpdesk
EXPOSE 8000
# Web:    docker run IMAGE                     (Daphne: HTTP + websockets)
# Worker: docker run IMAGE celery -A helpdesk worker --loglevel INFO
# Beat:   docker run IMAGE celery -A helpdesk beat --loglevel INFO --schedule /tmp/celerybeat-schedule
# Migrate before starting a new release: docker run IMAGE python manage.py migrate --noinput
CMD ["sh", "-c", "exec daphne -b 0.0.0.0 -p \"$PORT\" helpdesk.asgi:application"]

"""WSGI entry point: `waitress-serve app:app` or `flask --app app run`."""
from a10flow import create_app

app = create_app()

"""The console's web layer: the app, login and sessions, templates, and the pages."""

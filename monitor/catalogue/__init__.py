"""READ SIDE for the web app and feeds: the catalogue of calls searched in memory."""

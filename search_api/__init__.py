"""The one API of the site group: search, reports, hits and objections for every site."""

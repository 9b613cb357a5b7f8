"""The central push job: headlines and disclosure data to every affected site (see issue 3)."""

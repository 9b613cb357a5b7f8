"""sitegroup: the 信用中国 site group — one VI theme, many regional sites."""

__version__ = "0.1.0"

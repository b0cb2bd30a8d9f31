"""publish: scraped articles to one YAML document, and from it PDF, EPUB and DOCX editions."""

#: The release; pyproject.toml reads it from here (one place to change, and no metadata lookup
#: at start-up).
__version__ = "0.1.0"

"""publish: scraped articles to one YAML document, and from it PDF, EPUB and DOCX editions."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("publish")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

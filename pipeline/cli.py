"""The ``publish`` command: click wiring only; each command hands off to a module.

Writer subcommands are generated from the ``pipeline.writers`` entry points without importing the
writers, so ``publish --help`` stays fast. Exit status: 0 all built, 1 a build failed, 2 usage,
130 interrupted, 141 standard output closed by its reader (see :meth:`PublishGroup.main`).
"""

from __future__ import annotations

import errno
import sys
import traceback
from pathlib import Path

import click

from pipeline import __version__
from pipeline.writers import entry_point_names

DEFAULT_SOURCE = Path("source")
DEFAULT_OUT = Path("outputs")
#: exit statuses besides click's 0, 1 and 2 (README's table)
INTERRUPTED = 130
READER_GONE = 141  # what a shell reports for a tool killed by SIGPIPE: `yes | head -1`


class Failed(click.ClickException):
    """Problems already formatted one per line; exit status 1."""

    exit_code = 1

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems

    def show(self, file=None) -> None:
        from pipeline.commands import OutputLost, emit

        try:
            for line in self.problems:
                emit(f"error: {line}", err=True)
        except OutputLost:
            pass  # nowhere left to say it; the exit status still does


def _settings(ctx: click.Context, **flags):
    """Settings from pyproject.toml's [tool.publish], overridden by the flags given."""
    from pipeline.settings import SettingsError, font_flag, load

    fonts = {}
    for item in flags.pop("font", ()) or ():
        try:
            role, spec = font_flag(item)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--font") from None
        fonts[role] = spec
    try:
        return load().with_flags(fonts, **flags)
    except SettingsError as exc:
        raise Failed(exc.problems) from None


def _check_encoding(ctx, param, value: str | None) -> str | None:
    if value is not None:
        import codecs

        try:
            codecs.lookup(value)
        except LookupError:
            raise click.BadParameter(f"unknown encoding {value!r}") from None
    return value


def _set_flag(ctx, param, value: bool) -> None:
    if value:
        ctx.find_root().obj[param.name] = True


def verbosity_options(f):
    """-q/-v also after the subcommand (``publish all -q``), as users type them."""
    f = click.option("-v", "--verbose", is_flag=True, expose_value=False, callback=_set_flag,
                     help="Print more, and tracebacks on internal errors.")(f)
    return click.option("-q", "--quiet", is_flag=True, expose_value=False, callback=_set_flag,
                        help="Print only errors.")(f)


def normalise_options(f):
    """The settings flags that change normalisation (``publish normalize`` takes only these)."""
    f = click.option("--encoding", callback=_check_encoding,
                     help="Encoding of text sources (default: detected).")(f)
    f = click.option("--line-roles", type=click.Choice(["model", "rules"]),
                     help="model (default): the rules' reading arbitrated by the line-role model; "
                          "rules: the rules alone.")(f)
    f = click.option("--latin-punctuation", type=click.Choice(["smart", "keep"]),
                     help="smart (default): typographic quotes, dashes and ellipses in Latin-script "
                          "text; keep: the source's characters.")(f)
    return click.option("--quotes", type=click.Choice(["keep", "corner"]),
                        help="keep (default): quotation marks as in the source; corner: turn “”/‘’ "
                             "into 「」/『』 when normalising.")(f)


def settings_options(f):
    """Flags that override [tool.publish] settings; shared by every building command."""
    f = normalise_options(f)
    options = [
        click.option("--page-size", type=click.Choice(["A4", "A5", "B5", "Letter"], case_sensitive=False),
                     help="Paper size of the PDF and DOCX editions."),
        click.option("--writing-mode", type=click.Choice(["horizontal-tb", "vertical-rl"]),
                     help="vertical-rl: a traditional vertical EPUB (and DOCX; the PDF stays horizontal)."),
        click.option("--font", multiple=True, metavar="ROLE=FILE",
                     help="Use a font file for a role (body, bold, heading, caption, latin, latin-bold)."),
        click.option("--font-cache", type=click.Path(file_okay=False), help="Folder for subset fonts."),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def meta_options(f):
    f = click.option("--meta", "meta", multiple=True, metavar="KEY=VALUE",
                     help="Set a metadata field (title, author, date, ...), over any sidecar.")(f)
    f = click.option("--lang", help="Language tag (zh-Hant, zh-Hans, en...), over detection.")(f)
    return f


LIST_FIELDS = ("keywords", "credits")


def _meta(items: tuple[str, ...], lang: str | None = None) -> dict[str, object]:
    """--meta KEY=VALUE pairs (lists comma-separated) and --lang, checked against the schema
    (only when given: loading the validator is a tenth of a build's start-up)."""
    if not items and not lang:
        return {}
    from pipeline.yamlio import validate_meta

    out: dict[str, object] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r} is not KEY=VALUE", param_hint="--meta")
        key = key.strip()
        out[key] = [v.strip() for v in value.split(",") if v.strip()] if key in LIST_FIELDS else value
    problems = validate_meta({**out, **({"lang": lang} if lang else {})})
    if problems:
        raise click.BadParameter("; ".join(problems), param_hint="--lang/--meta")
    return out


class PublishGroup(click.Group):
    """Adds one subcommand per installed writer, and turns unexpected errors into one line."""

    def list_commands(self, ctx):
        return ["normalize", "all", *entry_point_names(), "check", "writers"]

    def get_command(self, ctx, name):
        command = super().get_command(ctx, name)
        if command is None and name in entry_point_names():
            command = _writer_command(name)
        return command

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """click's standalone mode with README's exit statuses: an interrupt (Ctrl-C, SIGTERM; also
        while click parses) is 130, a reader that went away (``publish writers | head -0``) ends
        quietly with 141, and an output that cannot be written (``> /dev/full``) is one error line."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            try:
                status = super().main(args, prog_name, complete_var, False, **extra)
                if sys.stdout is not None:  # None: started with standard output closed
                    sys.stdout.flush()  # a late write error shows here, not as the interpreter exits
            except click.ClickException as exc:
                exc.show()
                status = exc.exit_code
        except (KeyboardInterrupt, click.Abort):
            status = _interrupted()
        except Exception as exc:  # noqa: BLE001 - only output errors get here; anything else is re-raised
            status = _output_lost(exc)
        sys.exit(status if isinstance(status, int) else 0)

    def make_context(self, info_name, args, parent=None, **extra):
        """Parsing prints ``--help`` and ``--version``: a closed output there is no internal error."""
        try:
            return super().make_context(info_name, args, parent, **extra)
        except OSError as exc:
            from pipeline.commands import OutputLost

            raise OutputLost.wrap(exc, "standard output") from None

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            sys.exit(_interrupted())
        except Exception as exc:  # noqa: BLE001 - never a traceback without -v
            from pipeline.commands import OutputLost

            if isinstance(exc, OutputLost):
                raise
            if isinstance(exc, OSError) and exc.errno == errno.EPIPE:  # a print not made by emit()
                raise OutputLost.wrap(exc, "standard output") from None
            _internal_error(ctx, exc)


def _internal_error(ctx: click.Context, exc: Exception) -> None:
    if ctx.obj and ctx.obj.get("verbose"):
        traceback.print_exc()
    click.echo(f"error: internal error: {type(exc).__name__}: {exc} (run with -v for details)", err=True)
    sys.exit(1)


def _interrupted() -> int:
    from pipeline.commands import OutputLost, emit

    try:
        emit("publish: interrupted; earlier editions are intact", err=True)
    except OutputLost:
        pass
    return INTERRUPTED


def _output_lost(exc: Exception) -> int:
    """141 when the reader went away (nothing to say, and no one to say it to); else one line.
    An OSError here came from click's own printing (help, version, usage)."""
    from pipeline.commands import OutputLost, emit

    if isinstance(exc, OSError):
        exc = OutputLost.wrap(exc, "standard output")
    elif not isinstance(exc, OutputLost):
        raise exc
    if exc.reader_gone:
        return READER_GONE
    try:
        emit(f"error: {exc}", err=True)
    except OutputLost:
        pass
    return 1


@click.group(cls=PublishGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="publish")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.option("-v", "--verbose", is_flag=True, help="Print more, and tracebacks on internal errors.")
@click.pass_context
def main(ctx: click.Context, quiet: bool, verbose: bool) -> None:
    """Turn scraped articles into one YAML document and typeset PDF, EPUB and DOCX editions.

    `publish all` with no SOURCE builds every article in ./source into ./outputs.
    """
    ctx.obj = {"quiet": quiet, "verbose": verbose}


@main.command()
@click.argument("source", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the YAML here instead of standard output.")
@click.option("--explain", is_flag=True, help="Print each line's decision, the rule that made it, the "
              "line-role model's reading (role, probability, strongest features), and every repair.")
@normalise_options
@meta_options
@verbosity_options
@click.pass_context
def normalize(ctx, source: Path, output: Path | None, explain: bool, lang, meta, **flags) -> None:
    """Normalise SOURCE (a scraped text or a YAML document) into the YAML form."""
    from pipeline import commands

    settings = _settings(ctx, **flags)
    problems = commands.normalize(source, output, settings, lang=lang, meta=_meta(meta, lang),
                                  explain=explain, quiet=ctx.obj["quiet"])
    if problems:
        raise Failed(problems)


def build_options(f):
    f = click.argument("sources", nargs=-1, type=click.Path(path_type=Path))(f)
    f = click.option("-o", "--out", type=click.Path(path_type=Path), default=DEFAULT_OUT, show_default=True,
                     help="Folder for the editions (created if missing).")(f)
    f = click.option("--force", is_flag=True, help="Rebuild editions whose inputs have not changed.")(f)
    f = click.option("-j", "--jobs", type=click.IntRange(min=0), default=0,
                     help="Processes at once (0 = one per core): articles, or one article's editions.")(f)
    f = click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
                     help="Where articles are built: local processes, or a Dask cluster "
                          "(pip install 'publish[dask]').")(f)
    f = click.option("--scheduler", metavar="ADDRESS",
                     help="The Dask scheduler for --executor dask, e.g. tcp://scheduler:8786.")(f)
    return verbosity_options(meta_options(settings_options(f)))


def _build(ctx: click.Context, writers: list[str], sources, out, force, jobs, executor, scheduler, lang, meta,
           **flags) -> None:
    from pipeline import commands

    if executor == "dask" and not scheduler:
        raise click.UsageError("--executor dask needs --scheduler ADDRESS (e.g. tcp://scheduler:8786)")
    if scheduler and executor != "dask":
        raise click.UsageError("--scheduler is only used with --executor dask")
    from pipeline.sources import source_folder_of

    sources = list(sources) or [DEFAULT_SOURCE]
    clash = source_folder_of(out, sources)
    if clash is not None:
        raise click.BadParameter(
            f"output folder '{out}' is also the source folder '{clash}': the YAML copies written there "
            "would become the next build's sources (NAME.yaml wins over NAME.txt), so later edits to "
            "the texts would be ignored; choose another folder (e.g. -o outputs)", param_hint="-o/--out")
    settings = _settings(ctx, **flags)
    problems = commands.build(
        sources, writers, out, settings, force=force, jobs=jobs,
        executor=executor, scheduler=scheduler, lang=lang, meta=_meta(meta, lang),
        quiet=ctx.obj["quiet"], verbose=ctx.obj["verbose"],
    )
    if problems:
        raise Failed(problems)


@main.command("all")
@build_options
@click.pass_context
def build_all(ctx, **kwargs) -> None:
    """Build every edition (and the YAML) of each SOURCE (default: ./source)."""
    _build(ctx, list(entry_point_names()), **kwargs)


def _writer_command(name: str) -> click.Command:
    @click.command(name, help=f"Build only the {name.upper()} edition (and the YAML) of each SOURCE.")
    @build_options
    @click.pass_context
    def command(ctx, **kwargs) -> None:
        _build(ctx, [name], **kwargs)

    return command


@main.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@verbosity_options
@click.pass_context
def check(ctx, files: tuple[Path, ...]) -> None:
    """Validate built editions (default: everything in ./outputs) and SHA256SUMS."""
    from pipeline.check import check_paths
    from pipeline.commands import emit

    paths = list(files) or [DEFAULT_OUT]
    problems, notes = check_paths(paths)
    for note in notes:
        if not ctx.obj["quiet"]:
            emit(note, err=True)
    if problems:
        raise Failed(problems)
    if not ctx.obj["quiet"]:
        emit(f"checked {', '.join(map(str, paths))}: no problems found", err=True)


@main.command()
@verbosity_options
def writers() -> None:
    """List the installed writers and whether each can run."""
    from pipeline import commands

    problems = commands.list_writers()
    if problems:
        raise Failed(problems)


if __name__ == "__main__":  # pragma: no cover
    main()

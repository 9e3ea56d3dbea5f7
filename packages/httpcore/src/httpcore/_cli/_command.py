"""The ``httpcore`` command: options parsed by click, then one request or a load run."""

from __future__ import annotations

import math
import sys
from typing import Any

import click

import httpcore

from ._errors import EXIT_CODES_HELP, INTERRUPTED, describe, exit_code
from ._load import run_load
from ._settings import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_MAX_REDIRS,
    Body,
    Settings,
    UsageError,
    parse_header,
    parse_url,
    proxy_settings,
    tls_context,
    where,
)
from ._single import run_single

__all__ = ["command"]

INSECURE_WARNING = (
    "WARNING: --insecure: certificates and host names are NOT checked. Anyone on the path "
    "can read and change this traffic."
)


class _Seconds(click.FloatRange):
    """A timeout: zero or more seconds, ``inf`` for none. NaN passes ``FloatRange(min=0)``
    (``nan < 0`` is false), and the pool would refuse it only at request time, as a
    ValueError (exit 1) rather than a usage error naming the option."""

    def __init__(self) -> None:
        super().__init__(min=0)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        seconds = super().convert(value, param, ctx)
        if math.isnan(seconds):
            self.fail(f"{value!r} is not a number of seconds.", param, ctx)
        return seconds


_TIMEOUT = _Seconds()


@click.command(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=EXIT_CODES_HELP,
)
@click.argument("url")
@click.option("-X", "--method", help="Request method (default GET, or POST with -d).")
@click.option("-H", "--header", "headers", multiple=True, help="'Name: value'; repeatable.")
@click.option("-d", "--data", help="Request body: text, @file, or @- for stdin (streamed).")
@click.option("-I", "--head", "head_only", is_flag=True, help="HEAD request; print the head.")
@click.option("-i", "--include", is_flag=True, help="Print the status line and headers.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Write the body to this file; - for stdout.",
)
@click.option("-v", "--verbose", is_flag=True, help="Show heads and each step with timings.")
@click.option("-f", "--fail", is_flag=True, help="HTTP status 400 or more: no output, exit 22.")
@click.option("-L", "--location", is_flag=True, help="Follow redirects (301, 302, 303, 307, 308).")
@click.option(
    "--max-redirs",
    type=click.IntRange(min=0),
    default=DEFAULT_MAX_REDIRS,
    show_default=True,
    help="With -L: more redirects than this exit 47.",
)
@click.option("-s", "--silent", is_flag=True, help="No progress bar, warnings or error text.")
@click.option("-S", "--show-error", is_flag=True, help="With -s: print errors all the same.")
@click.option("--http2", is_flag=True, help="Offer HTTP/2 (https, by ALPN).")
@click.option("--proxy", help="Proxy URL (http:// or https://, user:password@ allowed).")
@click.option(
    "--proxy-mode",
    type=click.Choice(["DEFAULT", "FORWARD_ONLY", "TUNNEL_ONLY"]),
    default="DEFAULT",
    show_default=True,
)
@click.option("--uds", type=click.Path(), help="Connect to this Unix socket.")
@click.option("--local-address", help="Source address: 0.0.0.0 forces IPv4, :: IPv6.")
@click.option("--retries", type=click.IntRange(min=0), default=0, show_default=True)
@click.option(
    "--timeout",
    type=_TIMEOUT,
    help="All four timeouts, in seconds (inf: none). Default: connect only, "
    f"{DEFAULT_CONNECT_TIMEOUT:g} s.",
)
@click.option(
    "--connect-timeout",
    type=_TIMEOUT,
    help=f"TCP connect and TLS handshake (default {DEFAULT_CONNECT_TIMEOUT:g} s).",
)
@click.option("--read-timeout", type=_TIMEOUT)
@click.option("--write-timeout", type=_TIMEOUT)
@click.option("--pool-timeout", type=_TIMEOUT)
@click.option("--cacert", type=click.Path(exists=True, dir_okay=False), help="Trust this CA file.")
@click.option("-k", "--insecure", is_flag=True, help="Do not verify certificates (dangerous).")
@click.option("--repeat", type=click.IntRange(min=1), default=1, help="Load mode: requests.")
@click.option("--concurrency", type=click.IntRange(min=1), default=1, help="Load mode: tasks.")
@click.version_option(httpcore.__version__, prog_name="httpcore")
def command(url: str, **options: Any) -> None:
    """Send an HTTP request with httpcore and print the response body.

    With --repeat or --concurrency, send many requests through one pool and print a
    summary: requests/s, latency percentiles, outcomes, connections opened.
    """
    try:
        settings = _settings(url, options)
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None
    if options["insecure"] and not settings.silent:
        click.secho(INSECURE_WARNING, fg="red", bold=True, err=True)
    try:
        if settings.load_mode:
            report = run_load(settings)
            click.echo("\n".join(report.lines()))
            if report.first_error is not None and settings.show_errors:
                line = describe(report.first_error, where(settings, settings.url))
                click.echo(f"httpcore: first failure: {line}", err=True)
            sys.exit(report.exit_code)
        run_single(settings)
    except KeyboardInterrupt:  # the pool closed its connections on the way out
        sys.exit(INTERRUPTED)
    except Exception as exc:  # every failure becomes one line and an exit code
        if settings.show_errors:
            click.echo(f"httpcore: {describe(exc)}", err=True)
        sys.exit(exit_code(exc))


def _settings(url_text: str, options: dict[str, Any]) -> Settings:
    url, userinfo = parse_url(url_text)
    if userinfo is not None:
        raise UsageError("Credentials in the URL are not sent; use -H 'Authorization: ...'")
    body = None if options["data"] is None else Body(options["data"])
    head_only = options["head_only"]
    method = options["method"] or ("HEAD" if head_only else "POST" if body else "GET")
    if options["proxy"] and options["uds"]:
        raise UsageError("--proxy and --uds cannot be combined")
    timeouts = {}
    for kind in ("connect", "read", "write", "pool"):
        value = options[f"{kind}_timeout"]
        timeouts[kind] = options["timeout"] if value is None else value
    if timeouts["connect"] is None:
        timeouts["connect"] = DEFAULT_CONNECT_TIMEOUT
    settings = Settings(
        url=url,
        method=_method(method),
        headers=[parse_header(text) for text in options["headers"]],
        body=body,
        include=options["include"],
        head_only=head_only,
        output=options["output"],
        verbose=options["verbose"],
        http2=options["http2"],
        proxy=None if options["proxy"] is None else proxy_settings(options["proxy"]),
        proxy_mode=options["proxy_mode"],
        uds=options["uds"],
        local_address=options["local_address"],
        retries=options["retries"],
        timeouts=timeouts,
        ssl_context=tls_context(options["cacert"], options["insecure"]),
        proxy_ssl_context=(
            tls_context(options["cacert"], options["insecure"]) if options["proxy"] else None
        ),
        repeat=options["repeat"],
        concurrency=options["concurrency"],
        fail=options["fail"],
        location=options["location"],
        max_redirs=options["max_redirs"],
        silent=options["silent"],
        show_error=options["show_error"],
    )
    if settings.load_mode and body is not None and body.from_stdin:
        raise UsageError("-d @- (stdin) cannot be sent more than once: use @file or text")
    single_only = (settings.output, settings.include, settings.verbose, settings.fail)
    if settings.load_mode and (any(single_only) or settings.location):
        raise UsageError("-o, -i, -v, -f and -L apply to a single request, not to load mode")
    return settings


def _method(text: str) -> bytes:
    if not text.isascii() or not text.strip() or any(c.isspace() for c in text):
        raise UsageError(f"Method {text!r} must be one ASCII word, such as GET or PUT")
    return text.upper().encode("ascii")

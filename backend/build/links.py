"""Absolute links for sharing, and their QR codes.

Links are made from the configured public URL (`--public-url`, PUENTE_PUBLIC_URL) and carry
nothing but the address: no identifiers, no campaign parameters. Without a public URL they
point at the address the server listens on, the CLI warns, and the share pages say so.
QR codes are SVG drawn by segno at build time and inlined, so they work offline and print sharp.
"""

from __future__ import annotations

import functools
import io
import socket
from dataclasses import dataclass

import segno
from markupsafe import Markup, escape

from ..config import Config

_WILDCARD_HOSTS = {"", "0.0.0.0", "::", "[::]"}


def base_url(cfg: Config) -> str:
    """Given the config, return the origin share links use: the public URL, else where the server listens."""
    if cfg.public_url:
        return cfg.public_url
    host = cfg.host
    if host in _WILDCARD_HOSTS:  # listening on every interface: the one other machines reach
        host = _lan_address()
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{cfg.port}"


def _lan_address() -> str:
    """This machine's address on its local network (no packet is sent: UDP connect only picks a route)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere
            return str(s.getsockname()[0])
    except OSError:
        return "127.0.0.1"


def unconfigured_warning(cfg: Config) -> str | None:
    """The loud warning the CLI prints when no public URL is configured, or None."""
    if cfg.public_url:
        return None
    rule = "!" * 78
    return "\n".join(
        [
            rule,
            "WARNING: no public URL is configured (--public-url or PUENTE_PUBLIC_URL).",
            f"QR codes, share links, flyers and wallet cards point at {base_url(cfg)}/,",
            "the address this server listens on. Phones elsewhere cannot open it, and a printed",
            "flyer keeps it for good. Set the address families will use, for example:",
            "    python serve.py --public-url https://puente.example.org",
            rule,
        ]
    )


def short_form(url: str) -> str:
    """Given an absolute link, return it as a person reads and types it: no https://, no final slash."""
    return url.removeprefix("https://").rstrip("/")


@functools.lru_cache(maxsize=4096)
def qr_svg(url: str, label: str) -> Markup:
    """Given a link, return its QR code as inline SVG markup: presentation attributes only, no style.

    Choosing the best mask makes encoding the slowest step of a build; the result depends only on
    the arguments, so it is remembered (a language's code appears on three pages; rebuilds in one
    process, such as publishing from the admin, reuse every code whose address did not change).
    """
    from . import qrmask  # numpy is imported only by a build that draws a code

    qrmask.install()  # segno's choice of mask, made 4× faster: most of the time a QR code takes
    code = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    code.save(
        out, kind="svg", xmldecl=False, svgns=False, svgclass="qr-code", lineclass=None, omitsize=True, border=4,
        dark="#000", light="#fff", nl=False,
    )
    svg = out.getvalue().decode("ascii")
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1))


@dataclass(frozen=True)
class Link:
    """A page's absolute address, as written for people, and its QR code."""

    url: str
    short: str
    qr: Markup
    title: str = ""  # what navigator.share sends as the title
    heading: str = ""  # the share panel's heading, if it has one

    @property
    def short_html(self) -> Markup:
        """The short form with line-break opportunities after each slash, for narrow screens."""
        return Markup("/<wbr>").join(self.short.split("/"))


def make_link(origin: str, tag: str, path: str, qr_label: str, *, title: str, heading: str = "") -> Link:
    """Given the origin, a language and a path below /{lang}/ ("" for its home), return its Link.
    `qr_label` is the screen reader's label of the code, with %(address)s for the address."""
    url = f"{origin}/{tag}/{path}"
    short = short_form(url)
    return Link(url, short, qr_svg(url, qr_label % {"address": short}), title, heading)

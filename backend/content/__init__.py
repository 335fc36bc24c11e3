"""The content layer: the pack on disk (content/) loaded and validated into one immutable model.

    model.py        the objects (Content, Page, Service, ...) and every translatable unit of them
    loader.py       load(dir): site.toml, pages, services, notices, share.toml; every problem at file:line
    _toml.py        TOML with the line of each key
    markup.py       the Markdown dialect: blocks as translation units, a safe inline renderer
    corrections.py  a page's dated corrections ([[corrections]] in its front matter)
    share_plan.py   what the flyer and wallet card print
    editing.py      edits from the admin's forms, validated as the build validates
    hsds.py         the directory as Open Referral HSDS 3.0, out and in
"""

from .loader import load
from .model import Address, Category, Content, Correction, Notice, Page, Phone, Service, SharePlan, Site, Source, Unit
from .phones import phone_from

__all__ = ["Address", "Category", "Content", "Correction", "Notice", "Page", "Phone", "Service", "SharePlan", "Site", "Source", "Unit", "load", "phone_from"]

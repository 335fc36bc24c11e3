"""Which packages the wheel holds; everything else about the distribution is in pyproject.toml.

The repository keeps its top-level layout (pwa/, service_worker/, content/, locales/), and the
wheel carries them inside the `backend` package as data, so an installed copy can serve:

    pwa/             -> backend/pwa/              templates, CSS, page JS, icons
    service_worker/  -> backend/service_worker/   the worker's source
    content/         -> backend/default_content/  the default content pack
    locales/         -> backend/locales/          the catalogs

backend/config.py finds them there (INSTALLED), or at the top level in a checkout.
"""

from setuptools import find_namespace_packages, setup

DATA = {"backend.pwa": "pwa", "backend.service_worker": "service_worker", "backend.default_content": "content", "backend.locales": "locales"}

setup(
    packages=[*find_namespace_packages(include=["backend", "backend.*"], exclude=["*.__pycache__"]), *DATA],  # web/ has no __init__.py
    package_dir={"backend": "backend", **DATA},
    package_data={name: ["**/*"] for name in DATA},
    exclude_package_data={name: ["**/__pycache__/*", "**/*.pyc"] for name in DATA},
)

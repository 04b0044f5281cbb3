"""Sphinx configuration of the sklearn-uat documentation."""

import os
import sys
from datetime import date

sys.path.insert(0, os.path.abspath(".."))
os.environ.setdefault("MPLBACKEND", "Agg")

import sklearn_uat  # noqa: E402

project = "sklearn-uat"
author = "The sklearn-uat developers"
copyright = f"{date.today().year}, {author}"
release = version = sklearn_uat.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]

autosummary_generate = True
# The metadata-routing setters that scikit-learn adds to every estimator are
# left out: they document scikit-learn, not this package.
# score is scikit-learn's R² (RegressorMixin), whose docstring links into
# scikit-learn's own user guide: it is left out with the metadata setters.
autodoc_default_options = {
    "members": True,
    "inherited-members": True,
    "exclude-members": (
        "set_fit_request, set_predict_request, set_score_request, "
        "set_partial_fit_request, get_metadata_routing, score"
    ),
}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# No network during the build, so no intersphinx: references to other
# projects' objects stay literals. References to this package's own objects
# must resolve (nitpicky), so a renamed or undocumented object fails -W.
nitpicky = True
nitpick_ignore_regex = [
    (
        r"py:.*",
        r"(sklearn|torch|skorch|numpy|np|scipy|pandas|matplotlib|dask|joblib"
        r"|tqdm|collections)(\..*)?",
    ),
    (r"py:.*", r"(int|float|str|bool|dict|list|tuple|callable|None|object|type)"),
]

html_theme = "pydata_sphinx_theme"
html_title = "sklearn-uat"
html_theme_options = {"navigation_with_keys": False, "show_prev_next": False}


sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "abort_on_example_error": True,
    "show_memory": False,
    "backreferences_dir": "auto_examples/backreferences",
    "doc_module": ("sklearn_uat",),
}

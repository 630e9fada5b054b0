"""Only adds the optional C accelerator; everything else is in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "scrubber._native",
            ["src/scrubber/_native.c"],
            optional=True,  # no compiler: the pure-Python path gives the same output
            extra_compile_args=["-O2"],
        )
    ]
)

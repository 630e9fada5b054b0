"""Only adds the optional C accelerators; everything else is in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "scrubber._native",
            ["src/scrubber/_native.c"],
            optional=True,  # no compiler: the pure-Python path gives the same output
            extra_compile_args=["-O2"],
        ),
        Extension(
            "policyengine._screen",
            ["src/policyengine/_screen.c"],
            optional=True,  # no compiler: the Python screen alone gives the same output
            extra_compile_args=["-O2"],
        ),
    ]
)

"""Package list and the resources shipped inside the wheel (pyproject.toml holds the metadata).

`workbook/` (Template.xlsm, the add-in, the VBA and ribbon sources) and `docs/` stay where the
project keeps them and are mapped into the wheel as `xl_support/_shipped/workbook` and
`xl_support/_shipped/docs`: one copy in the repository; `xl_support.build.resources` finds them
in a checkout or in an installed wheel.
"""
from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

SHIPPED = {"xl_support._shipped.workbook": "workbook", "xl_support._shipped.docs": "docs"}


class BuildPy(build_py):
    """The shipped folders are data: their scripts (workbook/gen_udf_wrapper.py) stay out."""

    def find_package_modules(self, package, package_dir):
        return [] if package in SHIPPED else super().find_package_modules(package, package_dir)


setup(
    packages=find_packages(include=["xl_support*", "udfs*", "macros*"]) + list(SHIPPED),
    package_dir=SHIPPED,
    package_data={
        "xl_support": ["engine/data/*"],
        "xl_support._shipped.workbook": ["*.xlsm", "*.xlam", "src/*", "src/*/*"],
        "xl_support._shipped.docs": ["*.md"],
    },
    cmdclass={"build_py": BuildPy},
)

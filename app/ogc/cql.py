"""CQL2 text filters (OGC API – Features Part 3) evaluated over a collection's columns.

A ``filter=`` is checked before it is parsed: at most :data:`MAX_FILTER_CHARS` characters and
:data:`MAX_DEPTH` nested parentheses (one pass over the text). pygeofilter's CQL2 text parser is LALR, so
parsing is linear too. The tree is then evaluated column at a time (no loop over features):

* ``=`` and ``IN`` on a text property go through the atlas's own
  :class:`~app.domain.filters.Filter` (:func:`~app.domain.filters.apply_filter`), the filter the
  map and the export use; the other comparisons, ``BETWEEN``, ``LIKE``, ``IS NULL``, ``AND``,
  ``OR`` and ``NOT`` with pandas;
* the basic spatial functions (``S_INTERSECTS``, ``S_WITHIN``, ``S_CONTAINS``,
  ``S_DISJOINT``, ``S_TOUCHES``, ``S_CROSSES``, ``S_OVERLAPS``, ``S_EQUALS``) and ``BBOX``
  with shapely over the WGS-84 geometries (a literal in another ``filter-crs`` is brought to
  WGS-84 by pygeoapi first).

Anything else -- an unknown property, a construct the atlas does not evaluate, a value of the
wrong type -- is a :class:`FilterSyntaxError` whose message says what, and the service
answers 400 with it.

>>> props = pd.DataFrame({"status": ["operating", "planning", "operating"],
...                       "target_year": pd.array([2025, None, 2024], dtype="Int64")})
>>> geoms = np.array([shapely.Point(121.40, 31.20), None, shapely.Point(121.42, 31.22)])
>>> evaluate(parse_filter("status = 'operating' AND target_year >= 2025"), props, geoms).tolist()
[True, False, False]
>>> evaluate(parse_filter("S_INTERSECTS(geometry, POLYGON((121.41 31.21, 121.43 31.21, 121.43 31.23, 121.41 31.23, 121.41 31.21)))"), props, geoms).tolist()
[False, False, True]
>>> parse_filter("status = ")
Traceback (most recent call last):
app.ogc.cql.FilterSyntaxError: the filter is not CQL2 text: unexpected input at character 8: '= '
>>> evaluate(parse_filter("colour = 'red'"), props, geoms)
Traceback (most recent call last):
app.ogc.cql.FilterSyntaxError: the filter names an unknown property 'colour'; queryable: status, target_year
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import shapely
from lark.exceptions import LarkError, UnexpectedEOF, UnexpectedInput
from pygeofilter import ast, values
from pygeofilter.parsers.cql2_text import parse as parse_cql2_text

from app.domain.filters import Filter, apply_filter
from app.errors import FilterError

__all__ = ["MAX_DEPTH", "MAX_FILTER_CHARS", "FilterSyntaxError", "check_filter_text", "evaluate",
           "parse_filter"]

#: Longest filter accepted (characters): a long list of ids in an IN fits, a pasted file does not.
MAX_FILTER_CHARS = 4000
#: Most nested parentheses accepted in a filter.
MAX_DEPTH = 20
#: Most values in one IN list.
MAX_IN_VALUES = 1000


class FilterSyntaxError(FilterError):
    """A CQL2 filter the atlas cannot evaluate; the message says why."""


def check_filter_text(text: str) -> str:
    """`text` when it is short and shallow enough to parse, else FilterSyntaxError.

    >>> check_filter_text("(" * 21 + "a = 1" + ")" * 21)
    Traceback (most recent call last):
    app.ogc.cql.FilterSyntaxError: the filter nests parentheses 21 deep; at most 20
    """
    if len(text) > MAX_FILTER_CHARS:
        raise FilterSyntaxError(f"the filter is {len(text):,} characters long; at most {MAX_FILTER_CHARS:,}")
    if "\x00" in text:
        raise FilterSyntaxError("the filter contains a NUL character")
    depth = deepest = 0
    quoted = False
    for char in text:
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif not quoted and char == ")":
            depth -= 1
    if deepest > MAX_DEPTH:
        raise FilterSyntaxError(f"the filter nests parentheses {deepest} deep; at most {MAX_DEPTH}")
    return text


def parse_filter(text: str) -> ast.Node:
    """The pygeofilter tree of the CQL2 text `text` (checked first), or FilterSyntaxError
    saying where the text stops making sense."""
    check_filter_text(text)
    try:
        return parse_cql2_text(text)
    except UnexpectedEOF:
        raise FilterSyntaxError(f"the filter is not CQL2 text: unexpected end of the filter after "
                                f"{text[-60:]!r}") from None
    except UnexpectedInput as exc:
        at = getattr(exc, "pos_in_stream", None) or 0
        raise FilterSyntaxError(f"the filter is not CQL2 text: unexpected input at character "
                                f"{at + 1}: {text[at:at + 40]!r}") from None
    except (LarkError, ValueError, TypeError, AttributeError) as exc:
        raise FilterSyntaxError(f"the filter is not CQL2 text ({type(exc).__name__})") from None


_SPATIAL: dict[type, Callable] = {
    ast.GeometryIntersects: shapely.intersects, ast.GeometryDisjoint: shapely.disjoint,
    ast.GeometryContains: shapely.contains, ast.GeometryWithin: shapely.within,
    ast.GeometryTouches: shapely.touches, ast.GeometryCrosses: shapely.crosses,
    ast.GeometryOverlaps: shapely.overlaps, ast.GeometryEquals: shapely.equals,
}
_COMPARE: dict[type, Callable] = {
    ast.NotEqual: lambda a, b: a != b, ast.LessThan: lambda a, b: a < b,
    ast.LessEqual: lambda a, b: a <= b, ast.GreaterThan: lambda a, b: a > b,
    ast.GreaterEqual: lambda a, b: a >= b, ast.Equal: lambda a, b: a == b,
}
_SCALAR = (str, int, float, bool)


class _Evaluator:
    """One filter over one collection's columns (`props`) and WGS-84 geometries (`geoms`)."""

    def __init__(self, props: pd.DataFrame, geoms: np.ndarray, geometry_names: tuple[str, ...]) -> None:
        self.props = props
        self.geoms = geoms
        self.geometry_names = geometry_names
        self.n = len(props)

    def mask(self, node: object) -> np.ndarray:
        if isinstance(node, ast.And):
            return self.mask(node.lhs) & self.mask(node.rhs)
        if isinstance(node, ast.Or):
            return self.mask(node.lhs) | self.mask(node.rhs)
        if isinstance(node, ast.Not):
            return ~self.mask(node.sub_node)
        if isinstance(node, ast.Include):
            return np.full(self.n, not node.not_, dtype=bool)
        if isinstance(node, ast.Equal | ast.In) and self._text_equality(node) is not None:
            return self._text_equality(node)
        if isinstance(node, ast.Comparison):
            column = self.column(node.lhs)
            value = self.scalar(node.rhs, column)
            return self._defined(column, _COMPARE[type(node)](column, value))
        if isinstance(node, ast.In):
            column = self.column(node.lhs)
            if len(node.sub_nodes) > MAX_IN_VALUES:
                raise FilterSyntaxError(f"IN lists {len(node.sub_nodes):,} values; at most {MAX_IN_VALUES:,}")
            wanted = [self.scalar(v, column) for v in node.sub_nodes]
            result = self._defined(column, column.isin(wanted))
            return ~result if node.not_ else result
        if isinstance(node, ast.Between):
            column = self.column(node.lhs)
            low, high = self.scalar(node.low, column), self.scalar(node.high, column)
            result = self._defined(column, (column >= low) & (column <= high))
            return ~result if node.not_ else result
        if isinstance(node, ast.Like):
            return self._like(node)
        if isinstance(node, ast.IsNull):
            result = self._missing(self.column(node.lhs))
            return ~result if node.not_ else result
        if isinstance(node, ast.BBox):
            self.geometry(node.lhs)
            box = shapely.box(node.minx, node.miny, node.maxx, node.maxy)
            return self._spatial(shapely.intersects, box)
        if type(node) in _SPATIAL:
            if isinstance(node.rhs, ast.Attribute):  # S_WITHIN(POLYGON(...), geometry)
                node = type(node)(node.rhs, node.lhs)
            self.geometry(node.lhs)
            return self._spatial(_SPATIAL[type(node)], self.literal_geometry(node.rhs))
        raise FilterSyntaxError(f"the filter uses {type(node).__name__}, which the atlas does not "
                                "evaluate (supported: comparisons, BETWEEN, LIKE, IN, IS NULL, AND, "
                                "OR, NOT, BBOX and the basic spatial functions)")

    # -- pieces ------------------------------------------------------------------------

    def column(self, node: object) -> pd.Series:
        if not isinstance(node, ast.Attribute):
            raise FilterSyntaxError("a comparison must have a property on its left, e.g. status = 'operating'")
        name = node.name
        if name in self.geometry_names:
            raise FilterSyntaxError(f"{name!r} is the geometry: compare it with a spatial function such as S_INTERSECTS")
        if name not in self.props.columns:
            raise FilterSyntaxError(f"the filter names an unknown property {name[:80]!r}; queryable: "
                                    f"{', '.join(map(str, self.props.columns))}")
        return self.props[name]

    def geometry(self, node: object) -> None:
        if not (isinstance(node, ast.Attribute) and node.name in self.geometry_names):
            raise FilterSyntaxError("a spatial function compares the property 'geometry' with a geometry literal")

    @staticmethod
    def literal_geometry(node: object) -> shapely.Geometry:
        if isinstance(node, values.Envelope):
            return shapely.box(node.x1, node.y1, node.x2, node.y2)
        if isinstance(node, values.Geometry):
            try:
                return shapely.geometry.shape(node.geometry)
            except (ValueError, TypeError, AttributeError, shapely.errors.GEOSException):
                raise FilterSyntaxError("the filter's geometry literal is not a valid geometry") from None
        raise FilterSyntaxError("a spatial function needs a geometry literal, e.g. POLYGON((...)) or ENVELOPE(...)")

    def scalar(self, node: object, column: pd.Series) -> object:
        if isinstance(node, ast.Attribute):
            raise FilterSyntaxError("comparing two properties is not supported; compare a property with a value")
        if not isinstance(node, _SCALAR):
            raise FilterSyntaxError(f"the filter compares {column.name!r} with a value of an unsupported kind")
        numeric = pd.api.types.is_numeric_dtype(column.dtype) and not pd.api.types.is_bool_dtype(column.dtype)
        if numeric and (isinstance(node, str) or isinstance(node, bool)):
            raise FilterSyntaxError(f"{column.name!r} is a number; compare it with a number, not {node!r}")
        if not numeric and isinstance(node, int | float) and not isinstance(node, bool) \
                and column.dtype != bool:
            raise FilterSyntaxError(f"{column.name!r} is text; compare it with text in single quotes, not {node!r}")
        return node

    def _text_equality(self, node: ast.Equal | ast.In) -> np.ndarray | None:
        """``prop = 'x'`` and ``prop [NOT] IN ('x', ...)`` on a text column, through the
        atlas's Filter; None when the node is not that."""
        lhs = node.lhs
        if not isinstance(lhs, ast.Attribute) or lhs.name not in self.props.columns:
            return None
        column = self.props[lhs.name]
        if pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype):
            return None
        wanted = [node.rhs] if isinstance(node, ast.Equal) else list(node.sub_nodes)
        if len(wanted) > MAX_IN_VALUES or not all(isinstance(v, str) for v in wanted):
            return None
        if pd.api.types.infer_dtype(column, skipna=True) not in ("string", "empty"):
            return None  # a column of other values: compared with pandas instead
        present = ~self._missing(column)
        mask = apply_filter(self.props[[lhs.name]], Filter(values={lhs.name: tuple(wanted)})
                            ).to_numpy(dtype=bool) & present
        return ~mask & present if getattr(node, "not_", False) else mask

    def _like(self, node: ast.Like) -> np.ndarray:
        column = self.column(node.lhs)
        if not isinstance(node.pattern, str):
            raise FilterSyntaxError("LIKE needs a text pattern in single quotes")
        pattern = "".join(".*" if c == node.wildcard else "." if c == node.singlechar else re.escape(c)
                          for c in node.pattern)
        text = column.astype("string")
        result = text.str.fullmatch(pattern, case=not node.nocase, flags=re.DOTALL)
        result = result.fillna(False).to_numpy(dtype=bool)
        return ~result & ~self._missing(column) if node.not_ else result

    @staticmethod
    def _missing(column: pd.Series) -> np.ndarray:
        return column.isna().to_numpy(dtype=bool)

    def _defined(self, column: pd.Series, result: object) -> np.ndarray:
        out = pd.Series(result, index=column.index)
        try:
            out = out.fillna(False)
        except (TypeError, ValueError):
            pass
        try:
            mask = out.to_numpy(dtype=bool)
        except (TypeError, ValueError):
            raise FilterSyntaxError(f"{column.name!r} cannot be compared that way") from None
        return mask & ~self._missing(column)

    def _spatial(self, predicate: Callable, literal: shapely.Geometry) -> np.ndarray:
        present = ~shapely.is_missing(self.geoms)
        out = np.zeros(self.n, dtype=bool)
        if present.any():
            out[present] = predicate(self.geoms[present], literal)
        return out


def evaluate(node: ast.Node, props: pd.DataFrame, geoms: np.ndarray, *,
             geometry_names: tuple[str, ...] = ("geometry", "geom")) -> np.ndarray:
    """Boolean mask of the rows of `props` (with WGS-84 `geoms`, None where unlocated) that
    pass the filter `node`. A row whose compared value is missing does not pass (and an
    unlocated project passes no spatial test but S_DISJOINT's negation)."""
    try:
        return _Evaluator(props, geoms, geometry_names).mask(node)
    except FilterSyntaxError:
        raise
    except RecursionError:
        raise FilterSyntaxError("the filter is nested too deeply") from None
    except (TypeError, ValueError) as exc:
        raise FilterSyntaxError(f"the filter compares values of different kinds ({str(exc)[:120]})") from None

"""Bounds on what an import will read and compute, so hostile input gives a clear error, not a hang.

Where Azure Resource Manager documents a limit, the bound is ARM's own ("Template limits" in the
ARM best-practices documentation, and each function's reference page): a template ARM would refuse
needs no evaluating here. Where ARM documents none, the bound is hybridnet's, chosen far above
anything a real template or export needs, and said so below.
"""

from __future__ import annotations

from hybridnet.model import TopologyError

# ARM: a template (and a parameters file) may be at most 4 MB. An export of a resource group is not a
# template and can be larger; hybridnet's bound leaves room for several thousand resources.
MAX_FILE_BYTES = 32 * 1024 * 1024
# hybridnet's: ARM documents no nesting limit; Get-AzResource exports are written with -Depth 100.
MAX_JSON_DEPTH = 128
# ARM: "Template expressions can't exceed 24,576 characters."
MAX_EXPRESSION_CHARS = 24_576
# hybridnet's: nested function calls and property accesses in one expression.
MAX_EXPRESSION_DEPTH = 64
# ARM: copy loops (resource, property, variable and output) take a count of at most 800.
MAX_COPY_COUNT = 800
# ARM: a template holds at most 800 resources, copies included.
MAX_RESOURCES = 800
# ARM: range() takes a count of at most 10000, and startIndex + count must not exceed 2147483647.
MAX_RANGE_COUNT = 10_000
MAX_RANGE_END = 2_147_483_647
# ARM: integers are 64-bit.
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
# hybridnet's: a string an expression builds (padLeft, concat, replace...) may not exceed the 4 MB a
# template may hold; a value built from arrays and objects at most this many items.
MAX_STRING_CHARS = 4 * 1024 * 1024
MAX_VALUE_ITEMS = 200_000
# hybridnet's: variables and resources referring to one another, nested this deep at most.
MAX_EVALUATION_DEPTH = 100
# hybridnet's: linked and nested deployments inside one another.
MAX_DEPLOYMENT_DEPTH = 20
# hybridnet's: expression functions evaluated for one import (a copy of 800 resources with 800-element
# property loops is 640,000 items; nothing real comes close to this).
MAX_EVALUATION_STEPS = 2_000_000


class ArmLimitError(TopologyError):
    """Input beyond a bound: never skipped as one bad resource, always the end of the import."""

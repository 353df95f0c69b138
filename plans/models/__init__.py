"""The plans app's models: the trust strategic plan and its pocket guides (`strategic`), and the
school and business development plans built on them (`school_plans`)."""

from .school_plans import *  # noqa: F403
from .strategic import *  # noqa: F403

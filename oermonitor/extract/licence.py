"""(transitional: being written) licence detection."""
from oermonitor.models import LicenceResult


def detect(page):
    return LicenceResult(id=None)

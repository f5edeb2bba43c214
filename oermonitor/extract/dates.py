"""(transitional: being written) declared dates."""


def from_headers(headers, fetched_at):
    return None, None


def declared_date(page, headers, fetched_at, platform=None):
    return None, None

"""(transitional: being written) content fingerprint."""


def bytes_hash(body):
    return None


def content_hash(page):
    return None

"""(transitional: being written) platform recognition."""


def recognise(page):
    return None


def identity(url):
    return None


def generic_title(page):
    return None

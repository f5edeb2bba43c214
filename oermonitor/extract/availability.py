"""(transitional: being written) soft-404 and login-wall detection on served pages."""


def refine(result, page):
    return result.availability, result.error

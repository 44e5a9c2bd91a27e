from django import template
from django.forms import BaseForm, BoundField

register = template.Library()


@register.filter
def fields_with_errors(form: BaseForm) -> list[BoundField]:
    """The visible fields of a form that have errors, for its error summary."""
    return [field for field in form.visible_fields() if field.errors]

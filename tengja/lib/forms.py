from django.forms.renderers import DjangoTemplates


class FormRenderer(DjangoTemplates):
    """Django's renderer with our field layout: a wrapper per field, labels without a colon."""

    field_template_name = "forms/field.html"

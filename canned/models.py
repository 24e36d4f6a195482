from django.db import models
from django.db.models.functions import Lower

from helpdesk.models import Agent, Department


class CannedCategory(models.Model):
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "canned category"
        verbose_name_plural = "canned categories"
        constraints = [models.UniqueConstraint(Lower("name"), name="canned_category_name_unique_ci")]

    def __str__(self) -> str:
        return self.name


class CannedMessage(models.Model):
    text = models.TextField()
    # Empty means every department.
    department = models.ForeignKey(
        Department, null=True, blank=True, on_delete=models.CASCADE, related_name="canned_messages"
    )
    category = models.ForeignKey(CannedCategory, on_delete=models.PROTECT, related_name="messages")
    shortcut = models.SlugField(max_length=50, blank=True, help_text="Optional short name to type after #.")
    created_by = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category__name", "shortcut", "id"]
        verbose_name = "canned message"
        # Without it an agent files messages only under their own departments (canned.services).
        permissions = [
            ("add_global_cannedmessage", "Can file canned messages for all departments and for any department"),
        ]
        indexes = [models.Index(fields=["department", "shortcut"], name="canned_dept_shortcut")]

    def __str__(self) -> str:
        return self.shortcut or self.text[:50]

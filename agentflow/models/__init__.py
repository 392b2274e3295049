"""SQLAlchemy models; importing this package registers every table on Base.metadata."""

from agentflow.kit.models import Base
from agentflow.models.agent import Agent, AgentGrant, AgentStatus, AgentTemplate, AgentVersion
from agentflow.models.api_key import APIKey
from agentflow.models.audit import ActorType, AuditLog
from agentflow.models.auth import LoginThrottle, RefreshToken
from agentflow.models.billing import BillingAccount, MeterReport, StripeEvent
from agentflow.models.execution import (
    Execution,
    ExecutionEvent,
    ExecutionLog,
    ExecutionStatus,
    ExecutionStep,
    TriggeredBy,
)
from agentflow.models.export import Export, ExportFormat, ExportKind, ExportStatus
from agentflow.models.integration import (
    ConnectionStatus,
    IntegrationConnection,
    IntegrationOAuthState,
)
from agentflow.models.knowledge import DocumentStatus, KnowledgeBase, KnowledgeChunk, KnowledgeDocument
from agentflow.models.notification import EmailStatus, Notification, NotificationPreference
from agentflow.models.organization import Invitation, Organization, OrgMembership
from agentflow.models.rate_limit import RateLimitCounter
from agentflow.models.role import CustomRole
from agentflow.models.secret import OrgSecret
from agentflow.models.sso import DirectoryGroup, DirectoryUser, SSOConnection, SSODomain
from agentflow.models.team import Team, TeamMembership
from agentflow.models.usage import UsageDaily, UsageRollupDay
from agentflow.models.user import User
from agentflow.models.webhook import WebhookDelivery
from agentflow.models.webhook_endpoint import DeliveryStatus, OutboundWebhookDelivery, WebhookEndpoint

__all__ = [
    "APIKey",
    "ActorType",
    "Agent",
    "AgentGrant",
    "AgentStatus",
    "AgentTemplate",
    "AgentVersion",
    "AuditLog",
    "Base",
    "BillingAccount",
    "ConnectionStatus",
    "CustomRole",
    "DeliveryStatus",
    "DirectoryGroup",
    "DirectoryUser",
    "DocumentStatus",
    "EmailStatus",
    "Execution",
    "ExecutionEvent",
    "ExecutionLog",
    "ExecutionStatus",
    "ExecutionStep",
    "Export",
    "ExportFormat",
    "ExportKind",
    "ExportStatus",
    "IntegrationConnection",
    "IntegrationOAuthState",
    "Invitation",
    "KnowledgeBase",
    "KnowledgeChunk",
    "KnowledgeDocument",
    "LoginThrottle",
    "MeterReport",
    "Notification",
    "NotificationPreference",
    "OrgMembership",
    "OrgSecret",
    "Organization",
    "OutboundWebhookDelivery",
    "RateLimitCounter",
    "RefreshToken",
    "SSOConnection",
    "SSODomain",
    "StripeEvent",
    "Team",
    "TeamMembership",
    "TriggeredBy",
    "UsageDaily",
    "UsageRollupDay",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
]

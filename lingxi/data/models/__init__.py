"""All tables of the shared data layer, one module per context."""

from lingxi.data.models.accounts import (
    AccountToken as AccountToken,
    AccountTokenKind as AccountTokenKind,
)
from lingxi.data.models.catalog import (
    Ingredient as Ingredient,
    Interaction as Interaction,
    InteractionKind as InteractionKind,
    Product as Product,
    ProductEmbedding as ProductEmbedding,
    ProductIngredient as ProductIngredient,
)
from lingxi.data.models.catalogue_version import (
    CatalogueChange as CatalogueChange,
    CatalogueVersion as CatalogueVersion,
)
from lingxi.data.models.conversation import (
    Conversation as Conversation,
    DomainEvent as DomainEvent,
    ProcessedEvent as ProcessedEvent,
    ToolCall as ToolCall,
    Turn as Turn,
)
from lingxi.data.models.courier import (
    CourierPosition as CourierPosition,
    CourierVehicle as CourierVehicle,
)
from lingxi.data.models.fleet import (
    Depot as Depot,
    Route as Route,
    RouteStatus as RouteStatus,
    RouteStop as RouteStop,
    ServiceArea as ServiceArea,
    TrafficObservation as TrafficObservation,
    Vehicle as Vehicle,
)
from lingxi.data.models.home import (
    Area as Area,
    Device as Device,
    Entity as Entity,
    EntityState as EntityState,
    GestureBinding as GestureBinding,
    HomeAutomation as HomeAutomation,
)
from lingxi.data.models.identity import (
    Address as Address,
    AuthToken as AuthToken,
    Consent as Consent,
    ConsentPurpose as ConsentPurpose,
    Customer as Customer,
    Household as Household,
    PreferenceProfile as PreferenceProfile,
    Role as Role,
)
from lingxi.data.models.intake import (
    OrderIntake as OrderIntake,
    WebhookEvent as WebhookEvent,
)
from lingxi.data.models.ops import (
    DeliveryPromise as DeliveryPromise,
    JobStatus as JobStatus,
    OpsJob as OpsJob,
    PlanRecord as PlanRecord,
)
from lingxi.data.models.orders import (
    Order as Order,
    OrderLine as OrderLine,
    OrderStatus as OrderStatus,
    ReturnLine as ReturnLine,
    Shipment as Shipment,
    ShipmentKind as ShipmentKind,
    TrackingEvent as TrackingEvent,
    TrackingStatus as TrackingStatus,
)
from lingxi.data.models.requests import IdempotentRequest as IdempotentRequest

__all__ = [
    "AccountToken",
    "AccountTokenKind",
    "Address",
    "Area",
    "AuthToken",
    "CatalogueChange",
    "CatalogueVersion",
    "Consent",
    "ConsentPurpose",
    "Conversation",
    "CourierPosition",
    "CourierVehicle",
    "Customer",
    "DeliveryPromise",
    "Depot",
    "Device",
    "DomainEvent",
    "Entity",
    "EntityState",
    "GestureBinding",
    "HomeAutomation",
    "Household",
    "IdempotentRequest",
    "Ingredient",
    "Interaction",
    "InteractionKind",
    "JobStatus",
    "OpsJob",
    "Order",
    "OrderIntake",
    "OrderLine",
    "OrderStatus",
    "PlanRecord",
    "PreferenceProfile",
    "ProcessedEvent",
    "Product",
    "ProductEmbedding",
    "ProductIngredient",
    "ReturnLine",
    "Role",
    "Route",
    "RouteStatus",
    "RouteStop",
    "ServiceArea",
    "Shipment",
    "ShipmentKind",
    "ToolCall",
    "TrackingEvent",
    "TrackingStatus",
    "TrafficObservation",
    "Turn",
    "Vehicle",
    "WebhookEvent",
]

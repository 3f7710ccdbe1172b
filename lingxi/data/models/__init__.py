"""All tables of the shared data layer, one module per context."""

from lingxi.data.models.catalog import (
    Ingredient as Ingredient,
    Interaction as Interaction,
    InteractionKind as InteractionKind,
    Product as Product,
    ProductEmbedding as ProductEmbedding,
    ProductIngredient as ProductIngredient,
)
from lingxi.data.models.conversation import (
    Conversation as Conversation,
    DomainEvent as DomainEvent,
    ProcessedEvent as ProcessedEvent,
    ToolCall as ToolCall,
    Turn as Turn,
)
from lingxi.data.models.fleet import (
    Depot as Depot,
    Route as Route,
    RouteStatus as RouteStatus,
    RouteStop as RouteStop,
    TrafficObservation as TrafficObservation,
    Vehicle as Vehicle,
)
from lingxi.data.models.home import (
    Area as Area,
    Device as Device,
    Entity as Entity,
    EntityState as EntityState,
    GestureBinding as GestureBinding,
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
from lingxi.data.models.orders import (
    Order as Order,
    OrderLine as OrderLine,
    OrderStatus as OrderStatus,
    Shipment as Shipment,
    TrackingEvent as TrackingEvent,
    TrackingStatus as TrackingStatus,
)

__all__ = [
    "Address",
    "Area",
    "AuthToken",
    "Consent",
    "ConsentPurpose",
    "Conversation",
    "Customer",
    "Depot",
    "Device",
    "DomainEvent",
    "Entity",
    "EntityState",
    "GestureBinding",
    "Household",
    "Ingredient",
    "Interaction",
    "InteractionKind",
    "Order",
    "OrderLine",
    "OrderStatus",
    "PreferenceProfile",
    "ProcessedEvent",
    "Product",
    "ProductEmbedding",
    "ProductIngredient",
    "Role",
    "Route",
    "RouteStatus",
    "RouteStop",
    "Shipment",
    "ToolCall",
    "TrackingEvent",
    "TrackingStatus",
    "TrafficObservation",
    "Turn",
    "Vehicle",
]

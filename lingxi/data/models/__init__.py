"""All tables of the shared data layer, one module per context."""

from lingxi.data.models.catalog import (
    Ingredient as Ingredient,
)
from lingxi.data.models.catalog import (
    Interaction as Interaction,
)
from lingxi.data.models.catalog import (
    InteractionKind as InteractionKind,
)
from lingxi.data.models.catalog import (
    Product as Product,
)
from lingxi.data.models.catalog import (
    ProductEmbedding as ProductEmbedding,
)
from lingxi.data.models.catalog import (
    ProductIngredient as ProductIngredient,
)
from lingxi.data.models.conversation import (
    Conversation as Conversation,
)
from lingxi.data.models.conversation import (
    DomainEvent as DomainEvent,
)
from lingxi.data.models.conversation import (
    ProcessedEvent as ProcessedEvent,
)
from lingxi.data.models.conversation import (
    ToolCall as ToolCall,
)
from lingxi.data.models.conversation import (
    Turn as Turn,
)
from lingxi.data.models.fleet import (
    Depot as Depot,
)
from lingxi.data.models.fleet import (
    Route as Route,
)
from lingxi.data.models.fleet import (
    RouteStatus as RouteStatus,
)
from lingxi.data.models.fleet import (
    RouteStop as RouteStop,
)
from lingxi.data.models.fleet import (
    TrafficObservation as TrafficObservation,
)
from lingxi.data.models.fleet import (
    Vehicle as Vehicle,
)
from lingxi.data.models.home import (
    Area as Area,
)
from lingxi.data.models.home import (
    Device as Device,
)
from lingxi.data.models.home import (
    Entity as Entity,
)
from lingxi.data.models.home import (
    EntityState as EntityState,
)
from lingxi.data.models.home import (
    GestureBinding as GestureBinding,
)
from lingxi.data.models.identity import (
    Address as Address,
)
from lingxi.data.models.identity import (
    AuthToken as AuthToken,
)
from lingxi.data.models.identity import (
    Consent as Consent,
)
from lingxi.data.models.identity import (
    ConsentPurpose as ConsentPurpose,
)
from lingxi.data.models.identity import (
    Customer as Customer,
)
from lingxi.data.models.identity import (
    Household as Household,
)
from lingxi.data.models.identity import (
    PreferenceProfile as PreferenceProfile,
)
from lingxi.data.models.identity import (
    Role as Role,
)
from lingxi.data.models.orders import (
    Order as Order,
)
from lingxi.data.models.orders import (
    OrderLine as OrderLine,
)
from lingxi.data.models.orders import (
    OrderStatus as OrderStatus,
)
from lingxi.data.models.orders import (
    Shipment as Shipment,
)
from lingxi.data.models.orders import (
    TrackingEvent as TrackingEvent,
)
from lingxi.data.models.orders import (
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

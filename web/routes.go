package web

import (
	"net/http"

	"atrium/internal/catalog"
	"atrium/internal/inventory"
	"atrium/internal/location"
	"atrium/internal/staff"
)

// routes lists the whole back office. s.public pages need no sign-in; s.staff pages need a
// signed-in staff member the guard lets in (the services check again on every call).
func (s *server) routes() http.Handler {
	mux := http.NewServeMux()

	mux.Handle("GET /admin/static/", staticHandler())

	mux.Handle("GET /admin/login", s.public(s.loginPage))
	mux.Handle("POST /admin/login", s.public(s.login))
	mux.Handle("POST /admin/logout", s.public(s.logout))

	mux.Handle("GET /admin/{$}", s.staff(anyStaff, s.home))

	mux.Handle("GET /admin/products", s.staff(anyStaff, s.productList))
	mux.Handle("GET /admin/products/new", s.staff(catalog.CanEdit, s.productNew))
	mux.Handle("GET /admin/products/variant-row", s.staff(catalog.CanEdit, s.variantRow))
	mux.Handle("POST /admin/products", s.staff(catalog.CanEdit, s.productCreate))
	mux.Handle("GET /admin/products/{id}", s.staff(anyStaff, s.productShow))
	mux.Handle("POST /admin/products/{id}", s.staff(catalog.CanEdit, s.productUpdate))

	mux.Handle("GET /admin/locations", s.staff(anyStaff, s.locationList))
	mux.Handle("GET /admin/locations/new", s.staff(location.CanEdit, s.locationNew))
	mux.Handle("POST /admin/locations", s.staff(location.CanEdit, s.locationCreate))
	mux.Handle("GET /admin/locations/{id}", s.staff(anyStaff, s.locationShow))
	mux.Handle("POST /admin/locations/{id}", s.staff(location.CanEdit, s.locationUpdate))

	mux.Handle("GET /admin/orders", s.staff(canSeeOrders, s.orderList))
	mux.Handle("GET /admin/orders/inspection", s.staff(canDecideOrders, s.inspectionList))
	mux.Handle("GET /admin/orders/{id}", s.staff(canSeeOrders, s.orderShow))
	mux.Handle("POST /admin/orders/{id}/payments", s.staff(canTakePayments, s.paymentCreate))
	mux.Handle("POST /admin/orders/{id}/release", s.staff(canDecideOrders, s.orderRelease))
	mux.Handle("POST /admin/orders/{id}/cancel", s.staff(canDecideOrders, s.orderCancel))
	mux.Handle("POST /admin/orders/{id}/cancel-items", s.staff(canFulfil, s.orderCancelItems))
	mux.Handle("POST /admin/orders/{id}/refund", s.staff(canRefund, s.orderRefund))

	mux.Handle("GET /admin/fulfilment", s.staff(canFulfil, s.fulfilmentQueue))
	mux.Handle("GET /admin/fulfilment/pick-list", s.staff(canFulfil, s.pickList))
	mux.Handle("POST /admin/fulfilment/bins", s.staff(canFulfil, s.binSet))
	mux.Handle("GET /admin/fulfilment/{id}", s.staff(canFulfil, s.fulfilmentShow))
	mux.Handle("POST /admin/fulfilment/{id}/pick", s.staff(canFulfil, s.fulfilmentPick))
	mux.Handle("POST /admin/fulfilment/{id}/scan", s.staff(canFulfil, s.fulfilmentScan))
	mux.Handle("POST /admin/fulfilment/{id}/pack", s.staff(canFulfil, s.fulfilmentPack))
	mux.Handle("POST /admin/fulfilment/{id}/pack-override", s.staff(canOverride, s.fulfilmentPackOverride))
	mux.Handle("POST /admin/fulfilment/{id}/ship", s.staff(canFulfil, s.fulfilmentShip))
	mux.Handle("POST /admin/fulfilment/{id}/deliver", s.staff(canFulfil, s.fulfilmentDeliver))
	mux.Handle("POST /admin/fulfilment/{id}/receive", s.staff(canFulfil, s.fulfilmentReceive))
	mux.Handle("POST /admin/fulfilment/{id}/ready", s.staff(canFulfil, s.fulfilmentReady))
	mux.Handle("POST /admin/fulfilment/{id}/collect", s.staff(canFulfil, s.fulfilmentCollect))
	mux.Handle("POST /admin/fulfilment/{id}/collect-override", s.staff(canOverride, s.fulfilmentCollectOverride))
	mux.Handle("POST /admin/fulfilment/{id}/cancel", s.staff(canFulfil, s.fulfilmentCancel))
	mux.Handle("POST /admin/fulfilment/{id}/reroute", s.staff(canFulfil, s.fulfilmentReroute))

	mux.Handle("GET /admin/returns", s.staff(canHandleReturns, s.returnList))
	mux.Handle("GET /admin/returns/new", s.staff(canHandleReturns, s.returnNew))
	mux.Handle("POST /admin/returns/quote", s.staff(canHandleReturns, s.returnQuote))
	mux.Handle("POST /admin/returns", s.staff(canHandleReturns, s.returnCreate))
	mux.Handle("GET /admin/returns/{id}", s.staff(canHandleReturns, s.returnShow))
	mux.Handle("POST /admin/returns/{id}/lines/{line}/disposition", s.staff(canHandleReturns, s.returnDisposition))
	mux.Handle("POST /admin/returns/{id}/refund", s.staff(canRefund, s.returnRefund))
	mux.Handle("POST /admin/returns/{id}/close", s.staff(canHandleReturns, s.returnClose))

	mux.Handle("GET /admin/coupons", s.staff(canManageCoupons, s.couponList))
	mux.Handle("GET /admin/coupons/new", s.staff(canManageCoupons, s.couponNew))
	mux.Handle("POST /admin/coupons", s.staff(canManageCoupons, s.couponCreate))

	mux.Handle("GET /admin/stock", s.staff(canUseStock, s.stockOverview))
	mux.Handle("GET /admin/stock/levels/{location}/{variant}", s.staff(canUseStock, s.levelShow))
	mux.Handle("GET /admin/stock/levels/{location}/{variant}/policy", s.staff(inventory.CanSetPolicy, s.policyEdit))
	mux.Handle("POST /admin/stock/levels/{location}/{variant}/policy", s.staff(inventory.CanSetPolicy, s.policyUpdate))
	mux.Handle("GET /admin/stock/levels/{location}/{variant}/adjust", s.staff(inventory.CanMoveStock, s.adjustNew))
	mux.Handle("POST /admin/stock/levels/{location}/{variant}/adjust", s.staff(inventory.CanMoveStock, s.adjustCreate))
	mux.Handle("GET /admin/stock/levels/{location}/{variant}/count", s.staff(inventory.CanMoveStock, s.countNew))
	mux.Handle("POST /admin/stock/levels/{location}/{variant}/count", s.staff(inventory.CanMoveStock, s.countCreate))
	mux.Handle("GET /admin/stock/movements", s.staff(canUseStock, s.movementList))
	mux.Handle("GET /admin/stock/transfers", s.staff(canUseStock, s.transferList))
	mux.Handle("GET /admin/stock/transfers/new", s.staff(inventory.CanMoveStock, s.transferNew))
	mux.Handle("GET /admin/stock/transfers/line", s.staff(inventory.CanMoveStock, s.transferLineLookup))
	mux.Handle("POST /admin/stock/transfers", s.staff(inventory.CanMoveStock, s.transferCreate))
	mux.Handle("GET /admin/stock/transfers/{id}", s.staff(canUseStock, s.transferShow))
	mux.Handle("POST /admin/stock/transfers/{id}/ship", s.staff(inventory.CanMoveStock, s.transferShip))
	mux.Handle("POST /admin/stock/transfers/{id}/receive", s.staff(inventory.CanMoveStock, s.transferReceive))
	mux.Handle("POST /admin/stock/transfers/{id}/cancel", s.staff(inventory.CanMoveStock, s.transferCancel))
	mux.Handle("GET /admin/stock/alerts", s.staff(canUseStock, s.alertsHome))
	mux.Handle("GET /admin/stock/alerts/low-stock", s.staff(canUseStock, s.lowStock))
	mux.Handle("GET /admin/stock/alerts/low-stock.csv", s.staff(canUseStock, s.lowStockCSV))
	mux.Handle("GET /admin/stock/alerts/slow-moving", s.staff(canUseStock, s.slowMoving))
	mux.Handle("GET /admin/stock/alerts/slow-moving.csv", s.staff(canUseStock, s.slowMovingCSV))
	mux.Handle("GET /admin/stock/alerts/expiring", s.staff(canUseStock, s.expiring))
	mux.Handle("GET /admin/stock/alerts/expiring.csv", s.staff(canUseStock, s.expiringCSV))
	mux.Handle("GET /admin/stock/value", s.staff(inventory.CanSeeValue, s.stockValue))
	mux.Handle("GET /admin/stock/value.csv", s.staff(inventory.CanSeeValue, s.stockValueCSV))

	mux.Handle("GET /admin/purchasing/orders", s.staff(canSeePurchasing, s.purchaseOrderList))
	mux.Handle("GET /admin/purchasing/orders/new", s.staff(canBuy, s.purchaseOrderNew))
	mux.Handle("GET /admin/purchasing/orders/line", s.staff(canBuy, s.purchaseOrderLineLookup))
	mux.Handle("POST /admin/purchasing/orders/preview", s.staff(canBuy, s.purchaseOrderPreviewPart))
	mux.Handle("POST /admin/purchasing/orders", s.staff(canBuy, s.purchaseOrderCreate))
	mux.Handle("GET /admin/purchasing/orders/{id}", s.staff(canSeePurchasing, s.purchaseOrderShow))
	mux.Handle("POST /admin/purchasing/orders/{id}", s.staff(canBuy, s.purchaseOrderUpdate))
	mux.Handle("GET /admin/purchasing/orders/{id}/edit", s.staff(canBuy, s.purchaseOrderEdit))
	mux.Handle("POST /admin/purchasing/orders/{id}/submit", s.staff(canBuy, s.purchaseOrderSubmit))
	mux.Handle("POST /admin/purchasing/orders/{id}/approve", s.staff(canSeePurchasing, s.purchaseOrderApprove))
	mux.Handle("POST /admin/purchasing/orders/{id}/reject", s.staff(canSeePurchasing, s.purchaseOrderReject))
	mux.Handle("POST /admin/purchasing/orders/{id}/send", s.staff(canBuy, s.purchaseOrderSend))
	mux.Handle("POST /admin/purchasing/orders/{id}/cancel", s.staff(canBuy, s.purchaseOrderCancel))
	mux.Handle("POST /admin/purchasing/orders/{id}/close", s.staff(canBuy, s.purchaseOrderClose))
	mux.Handle("GET /admin/purchasing/orders/{id}/receive", s.staff(canSeeReceiving, s.receiveNew))
	mux.Handle("GET /admin/purchasing/orders/{id}/receive/line", s.staff(canReceiveGoods, s.receiveLine))
	mux.Handle("POST /admin/purchasing/orders/{id}/receive", s.staff(canReceiveGoods, s.receiveCreate))
	mux.Handle("GET /admin/purchasing/orders/{id}/pdf", s.staff(canSeePurchasing, s.purchaseOrderPDF))
	mux.Handle("GET /admin/purchasing/approvals", s.staff(canSeePurchasing, s.purchaseApprovals))
	mux.Handle("GET /admin/purchasing/receiving", s.staff(canSeeReceiving, s.receivingList))
	mux.Handle("GET /admin/purchasing/suggestions", s.staff(canBuy, s.suggestionsShow))
	mux.Handle("POST /admin/purchasing/suggestions", s.staff(canBuy, s.suggestionsCompute))
	mux.Handle("POST /admin/purchasing/suggestions/{id}/convert", s.staff(canBuy, s.suggestionsConvert))
	mux.Handle("GET /admin/purchasing/suppliers", s.staff(canSeePurchasing, s.supplierList))
	mux.Handle("GET /admin/purchasing/suppliers/new", s.staff(canBuy, s.supplierNew))
	mux.Handle("POST /admin/purchasing/suppliers", s.staff(canBuy, s.supplierCreate))
	mux.Handle("GET /admin/purchasing/suppliers/{id}", s.staff(canSeePurchasing, s.supplierShow))
	mux.Handle("POST /admin/purchasing/suppliers/{id}", s.staff(canBuy, s.supplierUpdate))
	mux.Handle("GET /admin/purchasing/suppliers/{id}/edit", s.staff(canBuy, s.supplierEdit))
	mux.Handle("POST /admin/purchasing/suppliers/{id}/items", s.staff(canBuy, s.supplierItemSave))
	mux.Handle("POST /admin/purchasing/suppliers/{id}/items/{variant}/remove", s.staff(canBuy, s.supplierItemRemove))
	mux.Handle("POST /admin/purchasing/suppliers/{id}/rate", s.staff(canSetRates, s.exchangeRateSet))
	mux.Handle("GET /admin/purchasing/quotations", s.staff(canSeePurchasing, s.quotationList))
	mux.Handle("GET /admin/purchasing/quotations/{id}", s.staff(canSeePurchasing, s.quotationShow))

	mux.Handle("GET /admin/staff", s.staff(staff.CanView, s.staffList))
	mux.Handle("GET /admin/staff/new", s.staff(staff.CanEdit, s.staffNew))
	mux.Handle("POST /admin/staff", s.staff(staff.CanEdit, s.staffCreate))
	mux.Handle("GET /admin/staff/{id}", s.staff(staff.CanView, s.staffShow))
	mux.Handle("POST /admin/staff/{id}", s.staff(staff.CanEdit, s.staffUpdate))
	mux.Handle("POST /admin/staff/{id}/password", s.staff(staff.CanEdit, s.staffResetPassword))

	// Anything else under /admin/ is a 404 page (after sign-in, so it reveals nothing).
	mux.Handle("/admin/", s.staff(anyStaff, s.notFound))
	return mux
}

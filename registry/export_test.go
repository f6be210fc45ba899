package registry

// Internals that the external tests inspect.
const (
	OpenStatesSQL                  = openStatesSQL
	QueryVehicleByVIN              = queryVehicleByVIN
	QueryVehicleByPlate            = queryVehicleByPlate
	QueryVehicleByBody             = queryVehicleByBody
	QueryRegistrationsOf           = queryRegistrationsOf
	QueryRegistrationByCertificate = queryRegistrationByCertificate
	QueryCurrentRegistration       = queryCurrentRegistration
	QueryOpenTransfer              = queryOpenTransfer
	QueryClaimOrders               = queryClaimOrders
)

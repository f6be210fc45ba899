package adapter

import (
	"errors"
	"fmt"
)

// Code is a stable business result code. Callers branch on it; it never
// changes meaning once published.
type Code string

// Result codes of the service. OK is success; every other code is a
// refusal that changed nothing in the registry.
const (
	OK                  Code = "OK"
	InvalidVIN          Code = "INVALID_VIN"
	InvalidPlate        Code = "INVALID_PLATE"
	InvalidPIN          Code = "INVALID_PIN"
	InvalidPrice        Code = "INVALID_PRICE"
	InvalidAccount      Code = "INVALID_ACCOUNT"
	InvalidRequest      Code = "INVALID_REQUEST"
	PartyUnderage       Code = "PARTY_UNDERAGE"
	SameParty           Code = "SAME_PARTY"
	VehicleNotFound     Code = "VEHICLE_NOT_FOUND"
	PersonNotFound      Code = "PERSON_NOT_FOUND"
	NotOwner            Code = "NOT_OWNER"
	CertificateMismatch Code = "CERTIFICATE_MISMATCH"
	VehicleRestricted   Code = "VEHICLE_RESTRICTED"
	TransferExists      Code = "TRANSFER_EXISTS"
	TransferNotFound    Code = "TRANSFER_NOT_FOUND"
	NotParty            Code = "NOT_PARTY"
	NotBuyer            Code = "NOT_BUYER"
	InvalidState        Code = "INVALID_STATE"
	UnknownBank         Code = "UNKNOWN_BANK"
	InvalidPhoto        Code = "INVALID_PHOTO"
	InvalidDecision     Code = "INVALID_DECISION"
	OrderNotFound       Code = "ORDER_NOT_FOUND"
	WrongBank           Code = "WRONG_BANK"
	AmountMismatch      Code = "AMOUNT_MISMATCH"
	NoCertificate       Code = "NO_CERTIFICATE"
	VINMismatch         Code = "VIN_MISMATCH"
	VehicleAmbiguous    Code = "VEHICLE_AMBIGUOUS"
	AlreadyPaid         Code = "ALREADY_PAID"
	TooManyTransfers    Code = "TOO_MANY_TRANSFERS"
	InvalidBodyNumber   Code = "INVALID_BODY_NUMBER"
)

// Message is a human text of a result in one language.
type Message struct {
	Lang string // ky, ru or en
	Text string
}

// Messages returns the Kyrgyz, Russian and English texts for c, in that
// order. An unknown code gets a generic text rather than nothing, so a
// caller always has something to show a person.
func (c Code) Messages() []Message {
	t, ok := messages[c]
	if !ok {
		t = [3]string{
			"Сурам аткарылган жок.",
			"Запрос не выполнен.",
			"The request was not carried out.",
		}
	}
	return []Message{{"ky", t[0]}, {"ru", t[1]}, {"en", t[2]}}
}

var messages = map[Code][3]string{
	OK: {"Ийгиликтүү аткарылды.", "Выполнено успешно.", "Done."},
	InvalidVIN: {
		"VIN туура эмес: 17 белги, I, O, Q тамгаларысыз.",
		"Неверный VIN: 17 символов без букв I, O, Q.",
		"The VIN is not valid: 17 characters without I, O or Q.",
	},
	InvalidPlate: {
		"Мамлекеттик каттоо белгиси туура эмес.",
		"Неверный государственный регистрационный знак.",
		"The registration plate is not valid.",
	},
	InvalidPIN: {
		"ПИН туура эмес: 14 сан.",
		"Неверный ПИН: 14 цифр.",
		"The personal identification number (PIN) is not valid: 14 digits.",
	},
	InvalidPrice: {
		"Баасы туура эмес: оң сан, эки ондук белгиге чейин.",
		"Неверная цена: положительное число, не более двух знаков после запятой.",
		"The price is not valid: a positive amount with at most two decimals.",
	},
	InvalidAccount: {
		"Сатуучунун эсеби туура эмес.",
		"Неверный счёт продавца.",
		"The seller's account is not valid.",
	},
	InvalidRequest: {
		"Сурамдын маалыматтары туура эмес.",
		"Неверные данные запроса.",
		"The request data are not valid.",
	},
	PartyUnderage: {
		"Тарап 18 жашка толо элек.",
		"Сторона сделки не достигла 18 лет.",
		"A party to the sale is under 18.",
	},
	SameParty: {
		"Сатуучу менен сатып алуучу бир адам болбошу керек.",
		"Продавец и покупатель должны быть разными лицами.",
		"The seller and the buyer must be different people.",
	},
	VehicleNotFound: {
		"Унаа реестрден табылган жок.",
		"Транспортное средство не найдено в реестре.",
		"The vehicle was not found in the registry.",
	},
	PersonNotFound: {
		"Адам реестрден табылган жок.",
		"Лицо не найдено в реестре.",
		"The person was not found in the registry.",
	},
	NotOwner: {
		"Сиз бул унаанын ээси эмессиз.",
		"Вы не являетесь владельцем этого транспортного средства.",
		"You are not the registered owner of this vehicle.",
	},
	CertificateMismatch: {
		"Каттоо күбөлүгүнүн номери дал келбейт.",
		"Номер свидетельства о регистрации не совпадает.",
		"The registration certificate number does not match.",
	},
	VehicleRestricted: {
		"Унаага чектөө коюлган (камак, күрөө же издөө).",
		"На транспортное средство наложено ограничение (арест, залог или розыск).",
		"The vehicle is under a restriction (arrest, pledge or wanted).",
	},
	TransferExists: {
		"Бул унаа боюнча ачык өткөрүү бар.",
		"По этому транспортному средству уже есть незавершённая сделка.",
		"This vehicle already has an open transfer.",
	},
	TransferNotFound: {
		"Өткөрүү табылган жок.",
		"Сделка не найдена.",
		"The transfer was not found.",
	},
	NotParty: {
		"Сиз бул өткөрүүнүн тарабы эмессиз.",
		"Вы не являетесь стороной этой сделки.",
		"You are not a party to this transfer.",
	},
	NotBuyer: {
		"Сиз бул өткөрүүдө сатып алуучу эмессиз.",
		"Вы не являетесь покупателем в этой сделке.",
		"You are not the buyer named in this transfer.",
	},
	InvalidState: {
		"Өткөрүүнүн учурдагы абалында бул аракет мүмкүн эмес.",
		"Это действие недоступно в текущем состоянии сделки.",
		"This action is not allowed in the transfer's current state.",
	},
	UnknownBank: {
		"Банк белгисиз же убактылуу иштебейт.",
		"Банк неизвестен или временно недоступен.",
		"The bank is unknown or not enabled.",
	},
	InvalidPhoto: {
		"Сүрөт туура эмес (түрү, форматы же көлөмү).",
		"Неверная фотография (вид, формат или размер).",
		"A photo is not valid (kind, format or size).",
	},
	InvalidDecision: {
		"Текшерүүнүн чечими туура эмес.",
		"Неверное решение осмотра.",
		"The inspection decision is not valid.",
	},
	OrderNotFound: {
		"Төлөм буйругу табылган жок.",
		"Платёжное поручение не найдено.",
		"The payment order was not found.",
	},
	WrongBank: {
		"Бул төлөм буйругу башка банкка жөнөтүлгөн.",
		"Это платёжное поручение направлено в другой банк.",
		"This payment order was sent to another bank.",
	},
	AmountMismatch: {
		"Төлөмдүн суммасы буйрукка дал келбейт.",
		"Сумма платежа не совпадает с поручением.",
		"The amount paid does not match the payment order.",
	},
	AlreadyPaid: {
		"Бул буйрук башка төлөм менен төлөнгөн; бул төлөмдү кайтарыңыз.",
		"Это поручение уже оплачено другим платежом; верните этот платёж.",
		"This order was already paid by another payment; reverse this one.",
	},
	VehicleAmbiguous: {
		"Бул номер боюнча бир нече унаа табылды; VIN же мамлекеттик белгини көрсөтүңүз.",
		"По этому номеру найдено несколько транспортных средств; укажите VIN или госномер.",
		"Several vehicles carry this number; give the VIN or the plate instead.",
	},
	VINMismatch: {
		"Байкалган VIN реестрдеги VIN менен дал келбейт.",
		"Наблюдаемый VIN не совпадает с VIN в реестре.",
		"The observed VIN differs from the VIN in the registry.",
	},
	InvalidBodyNumber: {
		"Кузовдун же шассинин номери туура эмес.",
		"Неверный номер кузова или шасси.",
		"The body or chassis number is not valid.",
	},
	TooManyTransfers: {
		"Бир күндө баштоого мүмкүн болгон өткөрүүлөрдүн чегине жеттиңиз; эртең кайра аракет кылыңыз.",
		"Достигнут предел сделок, которые можно начать за сутки; попробуйте завтра.",
		"You have reached the number of transfers you may start in one day; try again tomorrow.",
	},
	NoCertificate: {
		"Сиздин атыңызга катталган күбөлүк жок.",
		"На ваше имя нет действующего свидетельства о регистрации.",
		"There is no current registration certificate in your name.",
	},
}

// Error is a business refusal: the request was understood and changed
// nothing, for the reason Code names. Detail is for logs and operators, not
// for the caller.
type Error struct {
	Code   Code
	Detail string
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return "adapter: " + string(e.Code)
	}
	return "adapter: " + string(e.Code) + ": " + e.Detail
}

// refuse returns a business refusal with a formatted detail.
func refuse(c Code, format string, args ...any) *Error {
	return &Error{Code: c, Detail: fmt.Sprintf(format, args...)}
}

// CodeOf returns the business code carried by err, OK for nil, and ""
// when err is not a business refusal (an internal error).
func CodeOf(err error) Code {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

-- +goose Up
CREATE TABLE IF NOT EXISTS `product_req_signoffs` (
  `product` VARCHAR(15) NOT NULL,
  `channel` VARCHAR(75) NOT NULL,
  `role` VARCHAR(50) NOT NULL,
  `signoffs_required` INT NOT NULL,
  `data_version` INT NOT NULL,
  PRIMARY KEY (`product`, `channel`, `role`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `product_req_signoffs`;
